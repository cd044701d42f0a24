/* cli/commands: the subcommands of the wsprobe binary.
 *
 * Each module that owns a subcommand exports one entry point with this shape;
 * cli/main.c only dispatches. argv[0] is the subcommand name. Exit statuses
 * follow the README: 0 good, 1 a case failed or a threshold was missed, 2 usage
 * error, 3 target unreachable. */
#ifndef WSPROBE_COMMANDS_H
#define WSPROBE_COMMANDS_H

int serve_main(int argc, char **argv);
int check_main(int argc, char **argv);
int cases_main(int argc, char **argv);
int load_main(int argc, char **argv);
int report_main(int argc, char **argv);

#endif
