/* net_tls_bio: the socket BIO under every TLS session (see net_tls_bio.h). */
#include "net/net_tls_bio.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static int bio_fd(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static int bio_read(BIO *b, char *buf, size_t n, size_t *done)
{
    BIO_clear_retry_flags(b);
    ssize_t r = recv(bio_fd(b), buf, n, 0);
    if (r > 0) {
        *done = (size_t)r;
        return 1;
    }
    /* OpenSSL asks BIO_eof() to tell a closed peer from an error. */
    if (r == 0)
        BIO_set_flags(b, BIO_FLAGS_IN_EOF);
    else if (would_block(errno))
        BIO_set_retry_read(b);
    *done = 0;
    return r == 0 ? 0 : -1;
}

static int bio_write(BIO *b, const char *buf, size_t n, size_t *done)
{
    BIO_clear_retry_flags(b);
    ssize_t r = send(bio_fd(b), buf, n, MSG_NOSIGNAL);
    if (r >= 0) {
        *done = (size_t)r;
        return 1;
    }
    if (would_block(errno)) BIO_set_retry_write(b);
    *done = 0;
    return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    switch (cmd) {
    case BIO_C_GET_FD:
        if (ptr) *(int *)ptr = bio_fd(b);
        return bio_fd(b);
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
        return 1;
    default:
        return 0;
    }
}

static void method_init(void)
{
    int type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR;
    BIO_METHOD *m = BIO_meth_new(type, "wsprobe socket");
    if (!m) return;
    if (!BIO_meth_set_read_ex(m, bio_read) || !BIO_meth_set_write_ex(m, bio_write) ||
        !BIO_meth_set_ctrl(m, bio_ctrl)) {
        BIO_meth_free(m);
        return;
    }
    method = m;
}

BIO *net_tls_bio_new(int fd)
{
    pthread_once(&method_once, method_init);
    if (!method) return NULL;
    BIO *b = BIO_new(method);
    if (!b) return NULL;
    BIO_set_data(b, (void *)(intptr_t)fd);
    BIO_set_init(b, 1);
    return b;
}
