// Non-blocking UDP sockets of the engine and the even/odd port pair allocation of RFC 3550 §11
// (RTP on an even port, RTCP on the next odd one) from the configured range.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace sipmedia {

/** An address for sendto/recvfrom. */
struct UdpAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool valid() const { return length != 0; }
  int port() const;
  std::string host() const;
  bool operator==(const UdpAddress& o) const;
};

/** Parses an IPv4/IPv6 literal and port; false when it is not a literal. */
bool makeUdpAddress(const std::string& host, int port, UdpAddress& out);

/** Opens a non-blocking UDP socket bound to host:port (port 0 = ephemeral). Returns fd or -errno. */
int openUdpSocket(const std::string& host, int port);

/** The locally bound port of a socket, or -1. */
int boundPort(int fd);

/**
 * Binds RTP (and RTCP on rtp+1 unless `mux`) at `port` when > 0, else scans the range
 * [portMin, portMax] for a free even port starting at `cursor` (updated). Returns false with
 * `error` when nothing was free. fds are -1 when not opened.
 */
bool allocateRtpPorts(const std::string& host, int port, bool mux, int portMin, int portMax, int& cursor, int& rtpFd,
                      int& rtcpFd, std::string& error);

}  // namespace sipmedia
