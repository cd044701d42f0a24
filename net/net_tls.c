/* net_tls: OpenSSL contexts (client: verification on by default; server: a
 * certificate and key), TLS sessions over connected fds, and the TLS net_ops.
 * Every failure becomes one line in conn->err saying why, in particular why a
 * certificate was not accepted. */
#include "net/net.h"
#include "net/net_tls_bio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* ALPN wire format: one length-prefixed protocol name. */
static const unsigned char alpn_http11[] = "\x08http/1.1";

/* The first queued OpenSSL reason, then an empty queue for the next call. */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

static SSL_CTX *ctx_fail(SSL_CTX *ctx, char *err, size_t errlen, const char *what, const char *file)
{
    if (file)
        snprintf(err, errlen, "%s '%s': %s", what, file, ossl_reason());
    else
        snprintf(err, errlen, "%s: %s", what, ossl_reason());
    SSL_CTX_free(ctx);
    return NULL;
}

static int file_readable(const char *path, char *err, size_t errlen, const char *what)
{
    if (access(path, R_OK) == 0) return 1;
    snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
    return 0;
}

static SSL_CTX *ctx_common(const SSL_METHOD *m)
{
    SSL_CTX *ctx = SSL_CTX_new(m);
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Non-blocking writers retry from wherever their buffer now lives. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* WebSocket has its own closing handshake; a TCP drop without
     * close_notify is a plain EOF to us, judged by the layer above. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    return ctx;
}

SSL_CTX *net_tls_client_ctx(const net_tls_opts *o, char *err, size_t errlen)
{
    SSL_CTX *ctx = ctx_common(TLS_client_method());
    if (!ctx) return ctx_fail(NULL, err, errlen, "TLS client context", NULL);
    /* Unlike most OpenSSL calls, 0 is success here. */
    if (SSL_CTX_set_alpn_protos(ctx, alpn_http11, sizeof alpn_http11 - 1) != 0)
        return ctx_fail(ctx, err, errlen, "TLS ALPN", NULL);
    if (o && o->insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        return ctx;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (o && o->cacert) {
        if (!file_readable(o->cacert, err, errlen, "CA file")) {
            SSL_CTX_free(ctx);
            return NULL;
        }
        if (SSL_CTX_load_verify_locations(ctx, o->cacert, NULL) != 1)
            return ctx_fail(ctx, err, errlen, "cannot load CA file", o->cacert);
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return ctx_fail(ctx, err, errlen, "cannot load the system trust store", NULL);
    }
    return ctx;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, alpn_http11, sizeof alpn_http11 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *net_tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    if (!file_readable(cert_file, err, errlen, "certificate file") ||
        !file_readable(key_file, err, errlen, "key file"))
        return NULL;
    SSL_CTX *ctx = ctx_common(TLS_server_method());
    if (!ctx) return ctx_fail(NULL, err, errlen, "TLS server context", NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
        return ctx_fail(ctx, err, errlen, "cannot load certificate", cert_file);
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        unsigned long e = ERR_peek_error();
        if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
            return ctx_fail(ctx, err, errlen, "private key does not match the certificate",
                            key_file);
        return ctx_fail(ctx, err, errlen, "cannot load private key", key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return ctx_fail(ctx, err, errlen, "key does not match certificate", key_file);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    return ctx;
}

void net_tls_ctx_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}

/* ---- why a certificate was refused ---- */

static const char *verify_hint(long v)
{
    switch (v) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return " (trust it with --cacert FILE, or skip checks with --insecure)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        return " (unknown CA: its issuer is not in the trust store; see --cacert)";
    default:
        return "";
    }
}

static void verify_error(net_conn *c, long v)
{
    X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
    char detail[100];
    snprintf(detail, sizeof detail, "%s", verify_hint(v));
    if (v == X509_V_ERR_HOSTNAME_MISMATCH) {
        const char *h = X509_VERIFY_PARAM_get0_host(param, 0);
        snprintf(detail, sizeof detail, ": the certificate is not valid for '%.60s'", h ? h : "");
    } else if (v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        char *ip = X509_VERIFY_PARAM_get1_ip_asc(param);
        snprintf(detail, sizeof detail, ": the certificate is not valid for %.60s",
                 ip ? ip : "the address");
        OPENSSL_free(ip);
    }
    snprintf(c->err, sizeof c->err, "TLS certificate verify failed: %s%s",
             X509_verify_cert_error_string(v), detail);
}

/* ---- TLS ops ---- */

/* Maps a failed SSL call (ret <= 0, errno saved right after it) to a status. */
static long tls_result(net_conn *c, int ret, int saved_errno, const char *what)
{
    int e = SSL_get_error(c->ssl, ret);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return NET_AGAIN;
    }
    bool in_handshake = !SSL_is_init_finished(c->ssl);
    if (e == SSL_ERROR_ZERO_RETURN ||
        (e == SSL_ERROR_SYSCALL && saved_errno == 0 && ERR_peek_error() == 0)) {
        ERR_clear_error();
        if (!in_handshake) return NET_EOF;
        c->err_class = NET_E_TLS;
        snprintf(c->err, sizeof c->err, "%s: the peer closed the connection", what);
        return NET_ERR;
    }
    /* After a fatal error OpenSSL must not send close_notify (net_close). */
    SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    if (e == SSL_ERROR_SYSCALL && saved_errno != 0) {
        ERR_clear_error();
        c->err_class = net_errno_class(saved_errno);
        if (c->err_class == NET_E_NONE) c->err_class = NET_E_OTHER;
        snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(saved_errno));
        return NET_ERR;
    }
    c->err_class = NET_E_TLS;
    long v = SSL_get_verify_result(c->ssl);
    if (in_handshake && !SSL_is_server(c->ssl) && v != X509_V_OK) {
        ERR_clear_error();
        verify_error(c, v);
        return NET_ERR;
    }
    unsigned long first = ERR_peek_error();
    const char *hint =
        ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_WRONG_VERSION_NUMBER
            ? " (is the server speaking TLS on this port?)"
            : "";
    snprintf(c->err, sizeof c->err, "%s: %s%s", what, ossl_reason(), hint);
    return NET_ERR;
}

static long tls_read(net_conn *c, void *buf, size_t n)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) return r;
    return tls_result(c, r, errno, "TLS read");
}

static long tls_write(net_conn *c, const void *buf, size_t n)
{
    if (n == 0) return 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) return r;
    return tls_result(c, r, errno, "TLS write");
}

static int tls_handshake(net_conn *c)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) return NET_OK;
    return (int)tls_result(c, r, errno, "TLS handshake");
}

static void tls_close(net_conn *c)
{
    if (c->ssl) {
        /* One non-blocking close_notify, best effort; never wait for the reply. */
        if (SSL_is_init_finished(c->ssl) && !(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN))
            SSL_shutdown(c->ssl);
        ERR_clear_error();
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static const struct net_ops tls_ops = {
    .read = tls_read,
    .write = tls_write,
    .handshake = tls_handshake,
    .close = tls_close,
};

/* A session on fd with our BIO; c stays a closed plain conn on failure. */
static int tls_wrap(net_conn *c, int fd, SSL_CTX *ctx)
{
    net_conn_plain(c, -1);
    ERR_clear_error();
    SSL *ssl = SSL_new(ctx);
    BIO *bio = ssl ? net_tls_bio_new(fd) : NULL;
    if (!bio) {
        c->err_class = NET_E_TLS;
        snprintf(c->err, sizeof c->err, "TLS session: %s", ossl_reason());
        SSL_free(ssl);
        return -1;
    }
    SSL_set_bio(ssl, bio, bio);
    c->ssl = ssl;
    return 0;
}

/* Host without [] and without an IPv6 zone; true when it is an IP literal. */
static bool host_split(const char *host, char *out, size_t outlen)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n >= outlen) n = outlen - 1;
    memcpy(out, host, n);
    out[n] = '\0';
    char *zone = strchr(out, '%');
    if (zone && strchr(out, ':')) *zone = '\0';
    unsigned char a[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, out, a) == 1 || inet_pton(AF_INET6, out, a) == 1;
}

static int tls_set_host(net_conn *c, SSL_CTX *ctx, const char *host)
{
    bool verify = SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE;
    if (!host || !*host) {
        if (!verify) return 0;
        snprintf(c->err, sizeof c->err, "TLS: no host name to verify the certificate against");
        return -1;
    }
    char name[256];
    bool is_ip = host_split(host, name, sizeof name);
    int ok = 1;
    /* RFC 6066 §3: SNI carries host names only, never address literals. */
    if (!is_ip) ok = SSL_set_tlsext_host_name(c->ssl, name);
    if (ok && verify && is_ip) ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name);
    if (ok && verify && !is_ip) {
        SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set1_host(c->ssl, name);
    }
    if (ok) return 0;
    snprintf(c->err, sizeof c->err, "TLS: cannot use host name '%.60s': %s", name, ossl_reason());
    return -1;
}

int net_conn_tls_client(net_conn *c, int fd, SSL_CTX *ctx, const char *host)
{
    if (tls_wrap(c, fd, ctx) < 0) return -1;
    if (tls_set_host(c, ctx, host) < 0) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        c->err_class = NET_E_TLS;
        return -1;
    }
    SSL_set_connect_state(c->ssl);
    c->fd = fd;
    c->ops = &tls_ops;
    return 0;
}

int net_conn_tls_server(net_conn *c, int fd, SSL_CTX *ctx)
{
    if (tls_wrap(c, fd, ctx) < 0) return -1;
    SSL_set_accept_state(c->ssl);
    c->fd = fd;
    c->ops = &tls_ops;
    return 0;
}

const char *net_tls_alpn(const net_conn *c, char *out, size_t outlen)
{
    const unsigned char *p = NULL;
    unsigned int n = 0;
    if (c->ssl) SSL_get0_alpn_selected(c->ssl, &p, &n);
    if (n >= outlen) n = outlen ? (unsigned int)outlen - 1 : 0;
    if (outlen) {
        if (n) memcpy(out, p, n);
        out[n] = '\0';
    }
    return out;
}
