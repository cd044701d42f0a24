/* hs_config: fuzzingclient.json (see hs_config.h). */
#include "harness/hs_config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int not_a_list(const char *key, char *err, size_t errlen)
{
    snprintf(err, errlen, "'%s' must be a list of strings", key);
    return -1;
}

static int add_patterns(hs_patterns *ps, const cJSON *a, const char *key, char *err, size_t errlen)
{
    if (!a) return 0;
    if (!cJSON_IsArray(a)) return not_a_list(key, err, errlen);
    for (const cJSON *c = a->child; c; c = c->next) {
        if (!cJSON_IsString(c)) return not_a_list(key, err, errlen);
        if (hs_patterns_add_list(ps, c->valuestring) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int add_server(hs_config *c, const cJSON *s, const cJSON *agent_ex, char *err, size_t errlen)
{
    const cJSON *url = cJSON_GetObjectItem(s, "url");
    const cJSON *agent = cJSON_GetObjectItem(s, "agent");
    if (!cJSON_IsString(url)) {
        snprintf(err, errlen, "every server needs a string 'url'");
        return -1;
    }
    hs_config_server *sv = &c->servers[c->n_servers];
    memset(sv, 0, sizeof *sv);
    sv->url = strdup(url->valuestring);
    sv->agent = cJSON_IsString(agent) ? strdup(agent->valuestring) : NULL;
    c->n_servers++;
    if (!sv->url || (cJSON_IsString(agent) && !sv->agent)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const cJSON *ex =
        sv->agent && cJSON_IsObject(agent_ex) ? cJSON_GetObjectItem(agent_ex, sv->agent) : NULL;
    return add_patterns(&sv->exclude, ex, "exclude-agent-cases", err, errlen);
}

static int parse_root(hs_config *c, const cJSON *root, char *err, size_t errlen)
{
    if (!root) {
        snprintf(err, errlen, "not valid JSON");
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    if (add_patterns(&c->cases, cJSON_GetObjectItem(root, "cases"), "cases", err, errlen) ||
        add_patterns(&c->exclude, cJSON_GetObjectItem(root, "exclude-cases"), "exclude-cases", err,
                     errlen))
        return -1;
    const cJSON *agent_ex = cJSON_GetObjectItem(root, "exclude-agent-cases");
    if (agent_ex && !cJSON_IsObject(agent_ex)) {
        snprintf(err, errlen, "'exclude-agent-cases' must be an object of agent: [patterns]");
        return -1;
    }
    const cJSON *servers = cJSON_GetObjectItem(root, "servers");
    if (!servers) return 0;
    if (!cJSON_IsArray(servers)) {
        snprintf(err, errlen, "'servers' must be a list");
        return -1;
    }
    int n = cJSON_GetArraySize(servers);
    c->servers = calloc(n ? (size_t)n : 1, sizeof *c->servers);
    if (!c->servers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (const cJSON *s = servers->child; s; s = s->next)
        if (add_server(c, s, agent_ex, err, errlen) != 0) return -1;
    return 0;
}

int hs_config_parse(const char *text, hs_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    cJSON *root = cJSON_Parse(text);
    int rc = parse_root(c, root, err, errlen);
    cJSON_Delete(root);
    if (rc != 0) hs_config_free(c);
    return rc;
}

void hs_config_server_free(hs_config_server *s)
{
    free(s->url);
    free(s->agent);
    hs_patterns_free(&s->exclude);
    memset(s, 0, sizeof *s);
}

void hs_config_free(hs_config *c)
{
    hs_patterns_free(&c->cases);
    hs_patterns_free(&c->exclude);
    for (size_t i = 0; i < c->n_servers; i++) hs_config_server_free(&c->servers[i]);
    free(c->servers);
    memset(c, 0, sizeof *c);
}
