/* net_clock: the monotonic clock every deadline in wsprobe is measured on. */
#include "net/net.h"

#include <time.h>

int64_t net_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t net_now_ms(void)
{
    return net_now_ns() / 1000000;
}
