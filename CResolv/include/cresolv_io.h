/*
 * CResolv I/O: the socket calls of rdnscheck's pipelined lookup engine.
 *
 * Why it exists: epoll, eventfd, sendmmsg and recvmmsg are Linux/GNU interfaces that Swift's Glibc module
 * does not import, and struct mmsghdr/iovec bookkeeping is clearer in C. Every function is a thin wrapper;
 * the engine's logic (IDs, retries, matching) is in Swift.
 */
#ifndef CRESOLV_IO_H
#define CRESOLV_IO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A non-blocking UDP socket connected to the nameserver (family AF_INET or AF_INET6, address in network order,
 * port in host order), so the kernel drops datagrams from any other address or port. receive_buffer is the
 * SO_RCVBUF to ask for (SO_RCVBUFFORCE first, which root may use beyond net.core.rmem_max).
 * Returns the descriptor, or -1 with errno. */
int cresolv_udp_open(int family, const uint8_t *address, uint16_t port, int receive_buffer);

/* The receive buffer the kernel granted, in bytes (what SO_RCVBUF reports), or -1. */
int cresolv_udp_receive_buffer(int socket);

/* Sends count datagrams in one sendmmsg call: datagram i is lengths[i] bytes at data + offsets[i]. Neighbours
 * of equal length go out as one UDP GSO message (UDP_SEGMENT), which the kernel splits into the same datagrams
 * but handles as one on the way; where GSO is refused, datagram by datagram.
 * Returns how many were sent, a prefix (a short count means the socket would block), or -1 with errno. */
int cresolv_udp_send_batch(int socket, const uint8_t *data, const uint32_t *offsets, const uint16_t *lengths,
                           int count);

/* Receives up to max datagrams without blocking (recvmmsg, MSG_DONTWAIT) into buffer, datagram i at
 * buffer + i * stride, its length in lengths[i]; longer datagrams are cut (and marked with length stride + 1).
 * Returns how many arrived (0 when none is waiting), or -1 with errno (ECONNREFUSED: an ICMP port unreachable
 * came back for an earlier datagram). */
int cresolv_udp_receive_batch(int socket, uint8_t *buffer, int stride, uint16_t *lengths, int max);

/* A non-blocking TCP socket whose connection to the nameserver has been started (connect may still be in
 * progress: wait for output readiness). Returns the descriptor, or -1 with errno (e.g. ECONNREFUSED at once). */
int cresolv_tcp_open(int family, const uint8_t *address, uint16_t port);

/* Non-blocking send (without SIGPIPE) and receive on a TCP socket. They return the bytes moved, 0 from read at
 * the end of the stream, or -1 with errno (EAGAIN: try again when the poll says so). */
long cresolv_tcp_write(int socket, const uint8_t *data, size_t length);
long cresolv_tcp_read(int socket, uint8_t *buffer, size_t length);

/* An epoll instance; cresolv_poll_add watches fd for input and reports tag; cresolv_poll_wait waits at most
 * timeout_ms (-1: forever) and stores up to max tags. Returns the number of ready tags, 0 on timeout or EINTR,
 * -1 on error. */
int cresolv_poll_create(void);
int cresolv_poll_add(int poller, int fd, uint64_t tag);
/* Watches fd for output (for_output != 0) or input, adding it or (change != 0) changing how it is watched.
 * Errors and hang-ups are always reported. Closing fd removes it. */
int cresolv_poll_watch(int poller, int fd, uint64_t tag, int for_output, int change);
int cresolv_poll_wait(int poller, uint64_t *tags, int max, int timeout_ms);

/* Fills buffer with size bytes from the kernel's random source (getrandom, which Swift's Glibc module does not
 * import). Returns 0, or -1 when fewer bytes came. */
int cresolv_random_fill(void *buffer, size_t size);

/* An eventfd that other threads write to wake the engine's poll. */
int cresolv_wake_create(void);
void cresolv_wake_signal(int wake);
void cresolv_wake_drain(int wake);

#ifdef __cplusplus
}
#endif

#endif
