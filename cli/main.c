/* wsprobe: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/version.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"serve", serve_main, "run the built-in reference echo server"},
    {"check", check_main, "run the conformance cases against a server"},
    {"cases", cases_main, "list the case catalogue with RFC references"},
    {"load", load_main, "load a server: throughput, honest latency, integrity"},
    {"report", report_main, "render, compare, diff and merge report.json files"},
};

static void usage(FILE *out)
{
    fprintf(out, "wsprobe %s: WebSocket conformance checker and load generator\n\n"
                 "usage: wsprobe COMMAND [options]\n\ncommands:\n",
            WSPROBE_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`wsprobe COMMAND --help` for the options of one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("wsprobe %s\n", WSPROBE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "wsprobe: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
