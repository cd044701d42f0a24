/* net_tls_bio: a socket BIO for OpenSSL that writes with MSG_NOSIGNAL, so a
 * TLS write to a peer that has gone away returns EPIPE instead of killing the
 * process with SIGPIPE. Internal to net/. */
#ifndef NET_TLS_BIO_H
#define NET_TLS_BIO_H

#include <openssl/bio.h>

/* A BIO over fd (not owned: closing the BIO leaves fd open), or NULL. */
BIO *net_tls_bio_new(int fd);

#endif
