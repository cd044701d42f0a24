/* Unit tests for net/: TCP on 127.0.0.1 and ::1 only, and TLS between an
 * in-process client and a server thread, with certificates made at test time
 * (valid, expired, for another host, issued by a private CA). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define DAY             (24 * 3600L)
#define TEST_TIMEOUT_MS 3000

/* ---- certificates, made once for the whole run ---- */

static char dir[64];
static char good_pem[128], expired_pem[128], other_pem[128], ca_pem[128];
static SSL_CTX *srv_good, *srv_expired, *srv_other, *srv_leaf;

static void add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* A certificate for key, signed by issuer (NULL: self-signed), valid from
 * now+from_s to now+to_s. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san, long from_s, long to_s,
                       X509 *issuer, EVP_PKEY *issuer_key, bool ca)
{
    static long serial = 1;
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), to_s);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (san) add_ext(x, &v3, NID_subject_alt_name, san);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (x) assert_int_equal(PEM_write_X509(f, x), 1);
    if (key) assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

/* Writes NAME.pem (certificate) and NAME.key, returns a server ctx for them. */
static SSL_CTX *server_for(const char *name, X509 *x, EVP_PKEY *key, char *cert_path)
{
    char cert[128], keyf[128], err[160];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
    snprintf(keyf, sizeof keyf, "%s/%s.key", dir, name);
    write_pem(cert, x, NULL);
    write_pem(keyf, NULL, key);
    if (cert_path) strcpy(cert_path, cert);
    SSL_CTX *ctx = net_tls_server_ctx(cert, keyf, err, sizeof err);
    if (!ctx) fail_msg("server ctx %s: %s", name, err);
    return ctx;
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/wsprobe_test_net.XXXXXX");
    assert_non_null(mkdtemp(dir));
    const char *local = "DNS:localhost,IP:127.0.0.1,IP:::1";
    EVP_PKEY *k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256"), *k3 = EVP_EC_gen("P-256");
    EVP_PKEY *kca = EVP_EC_gen("P-256"), *kleaf = EVP_EC_gen("P-256");
    assert_true(k1 && k2 && k3 && kca && kleaf);
    X509 *good = make_cert(k1, "localhost", local, -DAY, DAY, NULL, NULL, true);
    X509 *expired = make_cert(k2, "localhost", local, -2 * DAY, -DAY, NULL, NULL, true);
    X509 *other = make_cert(k3, "wsprobe.test", "DNS:wsprobe.test", -DAY, DAY, NULL, NULL, true);
    X509 *ca = make_cert(kca, "wsprobe test CA", NULL, -DAY, DAY, NULL, NULL, true);
    X509 *leaf = make_cert(kleaf, "localhost", local, -DAY, DAY, ca, kca, false);
    srv_good = server_for("good", good, k1, good_pem);
    srv_expired = server_for("expired", expired, k2, expired_pem);
    srv_other = server_for("other", other, k3, other_pem);
    srv_leaf = server_for("leaf", leaf, kleaf, NULL);
    snprintf(ca_pem, sizeof ca_pem, "%s/ca.pem", dir);
    write_pem(ca_pem, ca, NULL);
    X509 *certs[] = {good, expired, other, ca, leaf};
    EVP_PKEY *keys[] = {k1, k2, k3, kca, kleaf};
    for (int i = 0; i < 5; i++) {
        X509_free(certs[i]);
        EVP_PKEY_free(keys[i]);
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int group_teardown(void **state)
{
    (void)state;
    SSL_CTX *all[] = {srv_good, srv_expired, srv_other, srv_leaf};
    for (int i = 0; i < 4; i++) net_tls_ctx_free(all[i]);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- a one-connection server thread ---- */

enum srv_mode {
    SRV_ECHO,  /* handshake, send GREETING, echo until EOF */
    SRV_CLOSE, /* handshake, then close at once */
    SRV_HTTP,  /* plain text HTTP reply, whatever the client sends */
};

#define GREETING "0123456789"

struct srv {
    int lfd;
    uint16_t port;
    SSL_CTX *ctx;
    enum srv_mode mode;
    pthread_t th;
    int hs; /* 0 handshake done, -1 failed, -2 nothing accepted */
    bool got_eof;
    char err[160], alpn[16], sni[64];
};

static int write_all(net_conn *c, const void *buf, size_t n, int64_t deadline)
{
    const char *p = buf;
    while (n > 0) {
        long w = net_write(c, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w != NET_AGAIN || net_wait(c, c->want, deadline) != 1) {
            return -1;
        }
    }
    return 0;
}

static void srv_echo(struct srv *s, net_conn *c, int64_t deadline)
{
    char buf[4096];
    if (write_all(c, GREETING, strlen(GREETING), deadline) < 0) return;
    for (;;) {
        long r = net_read(c, buf, sizeof buf);
        if (r > 0 && write_all(c, buf, (size_t)r, deadline) == 0) continue;
        if (r == NET_EOF) s->got_eof = true;
        if (r != NET_AGAIN || net_wait(c, c->want, deadline) != 1) return;
    }
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    int64_t deadline = net_now_ms() + TEST_TIMEOUT_MS;
    net_conn lc, c;
    net_conn_plain(&lc, s->lfd);
    int fd = NET_AGAIN;
    while (fd == NET_AGAIN && net_wait(&lc, POLLIN, deadline) == 1)
        fd = net_accept(s->lfd, s->err, sizeof s->err);
    if (fd < 0) return NULL;
    if (s->mode == SRV_HTTP) {
        static const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        s->hs = send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL) > 0 ? 0 : -1;
        usleep(100 * 1000); /* let the client read it before the FIN */
        close(fd);
        return NULL;
    }
    if (!s->ctx)
        net_conn_plain(&c, fd);
    else if (net_conn_tls_server(&c, fd, s->ctx) < 0) {
        close(fd);
        return NULL;
    }
    int r;
    while ((r = net_handshake(&c)) == NET_AGAIN && net_wait(&c, c.want, deadline) == 1) {
    }
    s->hs = r == NET_OK ? 0 : -1;
    snprintf(s->err, sizeof s->err, "%s", c.err);
    net_tls_alpn(&c, s->alpn, sizeof s->alpn);
    const char *sni = c.ssl ? SSL_get_servername(c.ssl, TLSEXT_NAMETYPE_host_name) : NULL;
    snprintf(s->sni, sizeof s->sni, "%s", sni ? sni : "");
    if (r == NET_OK && s->mode == SRV_ECHO) srv_echo(s, &c, deadline);
    net_close(&c);
    return NULL;
}

static void srv_start(struct srv *s, const char *host, SSL_CTX *ctx, enum srv_mode mode)
{
    char err[160];
    memset(s, 0, sizeof *s);
    s->lfd = net_listen(host, 0, false, err, sizeof err);
    if (s->lfd < 0) fail_msg("listen: %s", err);
    s->port = (uint16_t)net_local_port(s->lfd);
    s->ctx = ctx;
    s->mode = mode;
    s->hs = -2;
    assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
    pthread_join(s->th, NULL);
    close(s->lfd);
}

static SSL_CTX *client_ctx(const char *cacert, bool insecure)
{
    char err[160];
    net_tls_opts o = {.cacert = cacert, .insecure = insecure};
    SSL_CTX *ctx = net_tls_client_ctx(&o, err, sizeof err);
    if (!ctx) fail_msg("client ctx: %s", err);
    return ctx;
}

static int64_t deadline(void)
{
    return net_now_ms() + TEST_TIMEOUT_MS;
}

/* A port nothing listens on: bound then released. */
static uint16_t free_port(void)
{
    char err[160];
    int fd = net_listen("127.0.0.1", 0, false, err, sizeof err);
    assert_true(fd >= 0);
    uint16_t port = (uint16_t)net_local_port(fd);
    close(fd);
    return port;
}

/* ---- addresses ---- */

static void test_resolve(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    char err[160], a[64];
    assert_int_equal(net_resolve("127.0.0.1", 8080, &ss, &len, err, sizeof err), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_string_equal(net_addr_str((struct sockaddr *)&ss, len, a, sizeof a), "127.0.0.1:8080");
    assert_int_equal(net_resolve("[::1]", 443, &ss, &len, err, sizeof err), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_string_equal(net_addr_str((struct sockaddr *)&ss, len, a, sizeof a), "[::1]:443");
    assert_int_equal(net_resolve("::1", 1, &ss, &len, err, sizeof err), 0);
    assert_int_equal(ss.ss_family, AF_INET6);

    struct sockaddr_storage all[4];
    socklen_t lens[4];
    int n = net_resolve_all("localhost", 80, all, lens, 4, err, sizeof err);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++)
        assert_true(all[i].ss_family == AF_INET || all[i].ss_family == AF_INET6);

    /* Junk is refused before any lookup could leave the machine. */
    assert_int_equal(net_resolve("bad host!", 80, &ss, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid host name 'bad host!'"));
    assert_int_equal(net_resolve("", 80, &ss, &len, err, sizeof err), -1);
    assert_int_equal(net_resolve(NULL, 80, &ss, &len, err, sizeof err), -1);
}

static void test_err_classes(void **state)
{
    (void)state;
    assert_int_equal(net_errno_class(ECONNREFUSED), NET_E_REFUSED);
    assert_int_equal(net_errno_class(ECONNRESET), NET_E_RESET);
    assert_int_equal(net_errno_class(EPIPE), NET_E_RESET);
    assert_int_equal(net_errno_class(ETIMEDOUT), NET_E_TIMEOUT);
    assert_int_equal(net_errno_class(ENETUNREACH), NET_E_UNREACH);
    assert_int_equal(net_errno_class(EHOSTUNREACH), NET_E_UNREACH);
    assert_int_equal(net_errno_class(EMFILE), NET_E_OTHER);
    assert_int_equal(net_errno_class(EADDRNOTAVAIL), NET_E_ADDRESS);
    assert_int_equal(net_errno_class(EADDRINUSE), NET_E_ADDRESS);
    assert_string_equal(net_err_class_name(NET_E_ADDRESS), "address");
    assert_string_equal(net_err_class_name(NET_E_REFUSED), "refused");
    assert_string_equal(net_err_class_name(NET_E_TIMEOUT), "timeout");
    assert_string_equal(net_err_class_name(NET_E_TLS), "tls");
    assert_string_equal(net_err_class_name(999), "other");
}

static void test_clock(void **state)
{
    (void)state;
    int64_t a = net_now_ns(), ms = net_now_ms();
    usleep(20 * 1000);
    assert_true(net_now_ns() - a >= 20 * 1000000LL);
    assert_true(net_now_ms() - ms >= 19);
}

/* ---- plain TCP ---- */

/* Client and accepted server ends of one connection to host. */
static void tcp_pair(const char *host, net_conn *cl, net_conn *sv)
{
    char err[160];
    int lfd = net_listen(host, 0, false, err, sizeof err);
    if (lfd < 0) fail_msg("listen: %s", err);
    if (net_dial(cl, host, (uint16_t)net_local_port(lfd), NULL, deadline()) < 0)
        fail_msg("dial: %s", cl->err);
    net_conn lc;
    net_conn_plain(&lc, lfd);
    assert_int_equal(net_wait(&lc, POLLIN, deadline()), 1);
    int fd = net_accept(lfd, err, sizeof err);
    assert_true(fd >= 0);
    assert_int_equal(net_accept(lfd, err, sizeof err), NET_AGAIN);
    net_conn_plain(sv, fd);
    close(lfd);
}

static void roundtrip(net_conn *from, net_conn *to, const char *msg)
{
    char buf[64];
    assert_int_equal(write_all(from, msg, strlen(msg), deadline()), 0);
    assert_int_equal(net_wait(to, POLLIN, deadline()), 1);
    long r = net_read(to, buf, sizeof buf);
    assert_int_equal(r, (long)strlen(msg));
    assert_memory_equal(buf, msg, strlen(msg));
}

static void check_tcp(const char *host, int family)
{
    net_conn cl, sv;
    char buf[16];
    tcp_pair(host, &cl, &sv);
    assert_null(cl.ssl);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getpeername(cl.fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(ss.ss_family, family);
    int nodelay = 0;
    len = sizeof nodelay;
    getsockopt(cl.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    assert_int_equal(nodelay, 1);
    getsockopt(sv.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    assert_int_equal(nodelay, 1);

    assert_int_equal(net_read(&cl, buf, sizeof buf), NET_AGAIN);
    assert_int_equal(cl.want, POLLIN);
    roundtrip(&cl, &sv, "ping");
    roundtrip(&sv, &cl, "pong");
    net_close(&cl);
    assert_int_equal(cl.fd, -1);
    assert_int_equal(net_wait(&sv, POLLIN, deadline()), 1);
    assert_int_equal(net_read(&sv, buf, sizeof buf), NET_EOF);
    net_close(&sv);
}

static void test_tcp_ipv4(void **state)
{
    (void)state;
    check_tcp("127.0.0.1", AF_INET);
}

static void test_tcp_ipv6(void **state)
{
    (void)state;
    check_tcp("::1", AF_INET6);
}

static void test_connect_from_source(void **state)
{
    (void)state;
    char err[160];
    int cls;
    int lfd = net_listen("127.0.0.1", 0, false, err, sizeof err);
    assert_true(lfd >= 0);
    struct sockaddr_storage to, src;
    socklen_t to_len, src_len;
    assert_int_equal(
        net_resolve("127.0.0.1", (uint16_t)net_local_port(lfd), &to, &to_len, err, sizeof err), 0);
    assert_int_equal(net_resolve("127.0.0.2", 0, &src, &src_len, err, sizeof err), 0);
    int fd = net_connect_start((struct sockaddr *)&to, to_len, (struct sockaddr *)&src, src_len,
                               &cls, err, sizeof err);
    if (fd < 0) fail_msg("connect_start: %s", err);
    net_conn c;
    net_conn_plain(&c, fd);
    assert_int_equal(net_wait(&c, POLLOUT, deadline()), 1);
    assert_int_equal(net_connect_finish(fd, &cls, err, sizeof err), 0);
    assert_int_equal(cls, NET_E_NONE);
    struct sockaddr_in local;
    socklen_t llen = sizeof local;
    getsockname(fd, (struct sockaddr *)&local, &llen);
    assert_int_equal(ntohl(local.sin_addr.s_addr), 0x7f000002);

    /* A source of another family is refused up front. */
    struct sockaddr_storage src6;
    socklen_t src6_len;
    assert_int_equal(net_resolve("::1", 0, &src6, &src6_len, err, sizeof err), 0);
    assert_int_equal(net_connect_start((struct sockaddr *)&to, to_len, (struct sockaddr *)&src6,
                                       src6_len, &cls, err, sizeof err),
                     -1);
    net_close(&c);
    close(lfd);
}

static void test_refused(void **state)
{
    (void)state;
    net_conn c;
    uint16_t port = free_port();
    assert_int_equal(net_dial(&c, "127.0.0.1", port, NULL, deadline()), -1);
    assert_int_equal(c.err_class, NET_E_REFUSED);
    assert_non_null(strstr(c.err, "refused"));
    assert_non_null(strstr(c.err, "127.0.0.1"));
    net_close(&c); /* safe after a failed dial */

    /* The same through start/finish. */
    struct sockaddr_storage ss;
    socklen_t len;
    char err[160];
    int cls;
    assert_int_equal(net_resolve("127.0.0.1", port, &ss, &len, err, sizeof err), 0);
    int fd = net_connect_start((struct sockaddr *)&ss, len, NULL, 0, &cls, err, sizeof err);
    if (fd >= 0) {
        net_conn w;
        net_conn_plain(&w, fd);
        assert_int_equal(net_wait(&w, POLLOUT, deadline()), 1);
        assert_int_equal(net_connect_finish(fd, &cls, err, sizeof err), -1);
        close(fd);
    }
    assert_int_equal(cls, NET_E_REFUSED);
}

static void test_wait_timeout(void **state)
{
    (void)state;
    net_conn cl, sv;
    tcp_pair("127.0.0.1", &cl, &sv);
    int64_t t0 = net_now_ms();
    assert_int_equal(net_wait(&cl, POLLIN, t0 + 100), 0);
    int64_t took = net_now_ms() - t0;
    assert_true(took >= 100 && took < 1000);
    assert_int_equal(cl.err_class, NET_E_TIMEOUT);
    /* A deadline already past does not block at all. */
    assert_int_equal(net_wait(&cl, POLLIN, net_now_ms() - 5), 0);
    /* And writable is ready at once. */
    assert_int_equal(net_wait(&cl, POLLOUT, net_now_ms() + 100), 1);
    net_close(&cl);
    net_close(&sv);
}

static void test_listen_reuseport(void **state)
{
    (void)state;
    char err[160];
    int a = net_listen("127.0.0.1", 0, true, err, sizeof err);
    assert_true(a >= 0);
    uint16_t port = (uint16_t)net_local_port(a);
    int b = net_listen("127.0.0.1", port, true, err, sizeof err);
    assert_true(b >= 0);
    int c = net_listen("127.0.0.1", port, false, err, sizeof err);
    assert_int_equal(c, -1);
    assert_non_null(strstr(err, "Address already in use"));
    close(a);
    close(b);
}

static void test_write_after_peer_closed_no_sigpipe(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill this test */
    net_conn cl, sv;
    tcp_pair("127.0.0.1", &cl, &sv);
    net_close(&sv);
    long r = 0;
    for (int i = 0; i < 50 && r != NET_ERR; i++) {
        r = net_write(&cl, "x", 1);
        usleep(2000);
    }
    assert_int_equal(r, NET_ERR);
    assert_int_equal(cl.err_class, NET_E_RESET);
    net_close(&cl);
}

/* ---- TLS ---- */

/* Dials host with ctx against a server thread; returns net_dial's result. */
static int tls_dial(struct srv *s, const char *listen_host, const char *host, SSL_CTX *sctx,
                    SSL_CTX *cctx, enum srv_mode mode, net_conn *c)
{
    srv_start(s, listen_host, sctx, mode);
    return net_dial(c, host, s->port, cctx, deadline());
}

static void expect_verify_failure(SSL_CTX *sctx, SSL_CTX *cctx, const char *host,
                                  const char *needle)
{
    struct srv s;
    net_conn c;
    assert_int_equal(tls_dial(&s, "127.0.0.1", host, sctx, cctx, SRV_ECHO, &c), -1);
    srv_stop(&s);
    if (!strstr(c.err, needle)) fail_msg("expected '%s' in: %s", needle, c.err);
    assert_int_equal(c.err_class, NET_E_TLS);
    assert_int_equal(s.hs, -1); /* the server saw the client give up */
    net_close(&c);
}

static void test_tls_self_signed_rejected_by_default(void **state)
{
    (void)state;
    SSL_CTX *cctx = client_ctx(NULL, false);
    expect_verify_failure(srv_good, cctx, "localhost", "self-signed");
    net_tls_ctx_free(cctx);
}

/* A full session: ALPN, SNI, bytes held inside OpenSSL, echo, close_notify. */
static void check_session(const char *listen_host, const char *host, SSL_CTX *sctx, SSL_CTX *cctx,
                          const char *want_sni)
{
    struct srv s;
    net_conn c;
    char buf[32], alpn[16];
    if (tls_dial(&s, listen_host, host, sctx, cctx, SRV_ECHO, &c) < 0)
        fail_msg("dial %s: %s", host, c.err);
    assert_non_null(c.ssl);
    assert_string_equal(net_tls_alpn(&c, alpn, sizeof alpn), "http/1.1");

    /* Read part of the greeting record: the rest sits in OpenSSL, not the
     * socket, and net_wait must still call it readable. */
    long r;
    while ((r = net_read(&c, buf, 4)) == NET_AGAIN)
        assert_int_equal(net_wait(&c, c.want, deadline()), 1);
    assert_int_equal(r, 4);
    struct pollfd p = {.fd = c.fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(SSL_pending(c.ssl), 6);
    int64_t t0 = net_now_ms();
    assert_int_equal(net_wait(&c, POLLIN, t0 + 1000), 1);
    assert_true(net_now_ms() - t0 < 100);
    assert_int_equal(net_read(&c, buf + 4, sizeof buf - 4), 6);
    assert_memory_equal(buf, GREETING, 10);

    assert_int_equal(write_all(&c, "hello", 5, deadline()), 0);
    size_t got = 0;
    while (got < 5) {
        assert_int_equal(net_wait(&c, POLLIN, deadline()), 1);
        r = net_read(&c, buf + got, sizeof buf - got);
        if (r == NET_AGAIN) continue;
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf, "hello", 5);
    net_close(&c);
    srv_stop(&s);
    assert_int_equal(s.hs, 0);
    assert_string_equal(s.alpn, "http/1.1");
    assert_string_equal(s.sni, want_sni);
    assert_true(s.got_eof); /* close_notify read as a clean EOF */
}

static void test_tls_cacert(void **state)
{
    (void)state;
    SSL_CTX *cctx = client_ctx(good_pem, false);
    check_session("127.0.0.1", "localhost", srv_good, cctx, "localhost");
    /* IP literals are checked against IP SANs and get no SNI. */
    check_session("127.0.0.1", "127.0.0.1", srv_good, cctx, "");
    check_session("::1", "[::1]", srv_good, cctx, "");
    net_tls_ctx_free(cctx);
}

static void test_tls_private_ca(void **state)
{
    (void)state;
    SSL_CTX *trusts_ca = client_ctx(ca_pem, false);
    check_session("127.0.0.1", "localhost", srv_leaf, trusts_ca, "localhost");
    net_tls_ctx_free(trusts_ca);
    SSL_CTX *trusts_other = client_ctx(good_pem, false);
    expect_verify_failure(srv_leaf, trusts_other, "localhost", "unknown CA");
    expect_verify_failure(srv_leaf, trusts_other, "localhost", "unable to get local issuer");
    net_tls_ctx_free(trusts_other);
}

static void test_tls_insecure(void **state)
{
    (void)state;
    SSL_CTX *cctx = client_ctx(NULL, true);
    check_session("127.0.0.1", "localhost", srv_good, cctx, "localhost");
    check_session("127.0.0.1", "localhost", srv_expired, cctx, "localhost");
    check_session("127.0.0.1", "localhost", srv_other, cctx, "localhost");
    net_tls_ctx_free(cctx);
}

static void test_tls_wrong_host(void **state)
{
    (void)state;
    SSL_CTX *cctx = client_ctx(other_pem, false);
    expect_verify_failure(srv_other, cctx, "localhost", "hostname mismatch");
    expect_verify_failure(srv_other, cctx, "localhost", "not valid for 'localhost'");
    expect_verify_failure(srv_other, cctx, "127.0.0.1", "IP address mismatch");
    net_tls_ctx_free(cctx);
}

static void test_tls_expired(void **state)
{
    (void)state;
    SSL_CTX *cctx = client_ctx(expired_pem, false);
    expect_verify_failure(srv_expired, cctx, "localhost", "expired");
    net_tls_ctx_free(cctx);
}

static void test_tls_to_plain_http_server(void **state)
{
    (void)state;
    SSL_CTX *cctx = client_ctx(good_pem, false);
    struct srv s;
    net_conn c;
    assert_int_equal(tls_dial(&s, "127.0.0.1", "localhost", NULL, cctx, SRV_HTTP, &c), -1);
    srv_stop(&s);
    assert_int_equal(c.err_class, NET_E_TLS);
    if (!strstr(c.err, "speaking TLS")) fail_msg("unexpected: %s", c.err);
    net_close(&c);
    net_tls_ctx_free(cctx);
}

static void test_tls_handshake_deadline(void **state)
{
    (void)state;
    /* The kernel completes the TCP handshake; nobody ever speaks TLS. */
    char err[160];
    int lfd = net_listen("127.0.0.1", 0, false, err, sizeof err);
    assert_true(lfd >= 0);
    SSL_CTX *cctx = client_ctx(good_pem, false);
    net_conn c;
    int64_t t0 = net_now_ms();
    assert_int_equal(net_dial(&c, "localhost", (uint16_t)net_local_port(lfd), cctx, t0 + 150), -1);
    int64_t took = net_now_ms() - t0;
    assert_true(took >= 150 && took < 1500);
    assert_int_equal(c.err_class, NET_E_TIMEOUT);
    assert_non_null(strstr(c.err, "TLS handshake"));
    net_close(&c);
    net_tls_ctx_free(cctx);
    close(lfd);
}

static void test_tls_write_after_peer_closed_no_sigpipe(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_DFL);
    SSL_CTX *cctx = client_ctx(good_pem, false);
    struct srv s;
    net_conn c;
    if (tls_dial(&s, "127.0.0.1", "localhost", srv_good, cctx, SRV_CLOSE, &c) < 0)
        fail_msg("dial: %s", c.err);
    srv_stop(&s);
    char chunk[1024];
    memset(chunk, 'x', sizeof chunk);
    long r = 0;
    for (int i = 0; i < 50 && r != NET_ERR; i++) {
        r = net_write(&c, chunk, sizeof chunk);
        usleep(2000);
    }
    assert_int_equal(r, NET_ERR);
    assert_int_equal(c.err_class, NET_E_RESET);
    net_close(&c);
    net_tls_ctx_free(cctx);
}

static void test_tls_ctx_errors(void **state)
{
    (void)state;
    char err[160], missing[160];
    snprintf(missing, sizeof missing, "%s/missing.pem", dir);
    net_tls_opts o = {.cacert = missing};
    assert_null(net_tls_client_ctx(&o, err, sizeof err));
    assert_non_null(strstr(err, "missing.pem"));
    assert_non_null(strstr(err, "No such file"));

    char key[160], junk[160];
    snprintf(key, sizeof key, "%s/other.key", dir);
    assert_null(net_tls_server_ctx(good_pem, key, err, sizeof err));
    assert_non_null(strstr(err, "private key does not match the certificate"));

    snprintf(junk, sizeof junk, "%s/junk.pem", dir);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    fclose(f);
    o.cacert = junk;
    assert_null(net_tls_client_ctx(&o, err, sizeof err));
    assert_non_null(strstr(err, "junk.pem"));
    assert_null(net_tls_server_ctx(junk, key, err, sizeof err));
    assert_non_null(strstr(err, "cannot load certificate"));

    /* Verification on, but no host to check the certificate against. */
    SSL_CTX *cctx = client_ctx(good_pem, false);
    net_conn c;
    assert_int_equal(net_conn_tls_client(&c, -1, cctx, NULL), -1);
    assert_non_null(strstr(c.err, "no host name"));
    net_close(&c);
    net_tls_ctx_free(cctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_err_classes),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_tcp_ipv4),
        cmocka_unit_test(test_tcp_ipv6),
        cmocka_unit_test(test_connect_from_source),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_wait_timeout),
        cmocka_unit_test(test_listen_reuseport),
        cmocka_unit_test(test_write_after_peer_closed_no_sigpipe),
        cmocka_unit_test(test_tls_self_signed_rejected_by_default),
        cmocka_unit_test(test_tls_cacert),
        cmocka_unit_test(test_tls_private_ca),
        cmocka_unit_test(test_tls_insecure),
        cmocka_unit_test(test_tls_wrong_host),
        cmocka_unit_test(test_tls_expired),
        cmocka_unit_test(test_tls_to_plain_http_server),
        cmocka_unit_test(test_tls_handshake_deadline),
        cmocka_unit_test(test_tls_write_after_peer_closed_no_sigpipe),
        cmocka_unit_test(test_tls_ctx_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
