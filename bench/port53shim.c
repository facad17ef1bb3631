/* LD_PRELOAD shim for the benchmark: adns always asks port 53, and the benchmark's NSD listens on a high
 * loopback port ($SHIM_PORT). connect/sendto/sendmsg to 127.0.0.1:53 go to 127.0.0.1:$SHIM_PORT instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const struct sockaddr *redirect(const struct sockaddr *address, struct sockaddr_in *copy) {
    const char *port = getenv("SHIM_PORT");
    if (address == NULL || port == NULL || address->sa_family != AF_INET) {
        return address;
    }
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
    if (v4->sin_port != htons(53) || v4->sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
        return address;
    }
    memcpy(copy, v4, sizeof *copy);
    copy->sin_port = htons((unsigned short)atoi(port));
    return (const struct sockaddr *)copy;
}

int connect(int fd, const struct sockaddr *address, socklen_t length) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real) real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    struct sockaddr_in copy;
    return real(fd, redirect(address, &copy), length);
}

ssize_t sendto(int fd, const void *buffer, size_t size, int flags, const struct sockaddr *address, socklen_t length) {
    static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
    struct sockaddr_in copy;
    return real(fd, buffer, size, flags, redirect(address, &copy), length);
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
    static ssize_t (*real)(int, const struct msghdr *, int);
    if (!real) real = (ssize_t (*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");
    struct sockaddr_in copy;
    struct msghdr redirected = *message;
    redirected.msg_name = (void *)redirect((const struct sockaddr *)message->msg_name, &copy);
    return real(fd, &redirected, flags);
}

/* Replies from 127.0.0.1:$SHIM_PORT must look as if they came from port 53, or adns drops them. */
ssize_t recvfrom(int fd, void *buffer, size_t size, int flags, struct sockaddr *address, socklen_t *length) {
    static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    if (!real) real = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
    ssize_t received = real(fd, buffer, size, flags, address, length);
    const char *port = getenv("SHIM_PORT");
    if (received >= 0 && address != NULL && port != NULL && address->sa_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)address;
        if (v4->sin_port == htons((unsigned short)atoi(port)) && v4->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
            v4->sin_port = htons(53);
        }
    }
    return received;
}
