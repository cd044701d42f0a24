/* rp_cli: the `wsprobe report` command.
 *
 * Owns: parsing its command line and running one of its four modes:
 *   wsprobe report FILE.json...              render each next to itself (or -o DIR, one file)
 *   wsprobe report --compare FILE.json... -o DIR   several targets side by side
 *   wsprobe report --diff OLD.json NEW.json [-o DIR]  what newly fails, what got fixed
 *   wsprobe report --merge SHARD.json... -o DIR     load shards into one report
 * Exit status: 0 done, 1 --diff found newly failing cases, 2 usage error or a
 * report that cannot be read. The entry point, report_main, is declared in
 * cli/commands.h. */
#ifndef RP_CLI_H
#define RP_CLI_H

int report_main(int argc, char **argv);

#endif
