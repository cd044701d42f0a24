/* net_clock: the monotonic clock in milliseconds (net_now_ns is inline in net.h). */
#include "net/net.h"

int64_t net_now_ms(void)
{
    return net_now_ns() / 1000000;
}
