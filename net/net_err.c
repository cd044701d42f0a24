/* net_err: names for error classes and the errno -> class mapping, so reports
 * and load counters agree on what "refused" or "reset" means. */
#include "net/net.h"

#include <errno.h>

const char *net_err_class_name(int cls)
{
    switch (cls) {
    case NET_E_NONE:
        return "none";
    case NET_E_RESOLVE:
        return "resolve";
    case NET_E_REFUSED:
        return "refused";
    case NET_E_TIMEOUT:
        return "timeout";
    case NET_E_RESET:
        return "reset";
    case NET_E_UNREACH:
        return "unreachable";
    case NET_E_TLS:
        return "tls";
    case NET_E_ADDRESS:
        return "address";
    default:
        return "other";
    }
}

int net_errno_class(int e)
{
    switch (e) {
    case 0:
        return NET_E_NONE;
    case ECONNREFUSED:
        return NET_E_REFUSED;
    case ETIMEDOUT:
        return NET_E_TIMEOUT;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
        return NET_E_RESET;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
        return NET_E_UNREACH;
    case EADDRNOTAVAIL:
    case EADDRINUSE:
        return NET_E_ADDRESS;
    default:
        return NET_E_OTHER;
    }
}
