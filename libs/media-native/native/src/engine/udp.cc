#include "engine/udp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sipmedia {

int UdpAddress::port() const {
  if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(storage).sin_port);
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(storage).sin6_port);
  return 0;
}

std::string UdpAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (storage.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(storage).sin_addr, buf, sizeof buf);
  if (storage.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(storage).sin6_addr, buf, sizeof buf);
  return buf;
}

bool UdpAddress::operator==(const UdpAddress& o) const {
  if (storage.ss_family != o.storage.ss_family) return false;
  if (storage.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
    const auto& b = reinterpret_cast<const sockaddr_in&>(o.storage);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (storage.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
    const auto& b = reinterpret_cast<const sockaddr_in6&>(o.storage);
    return a.sin6_port == b.sin6_port && std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

bool makeUdpAddress(const std::string& host, int port, UdpAddress& out) {
  out = UdpAddress{};
  if (port < 0 || port > 65535) return false;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out.length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out.length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

int openUdpSocket(const std::string& host, int port) {
  UdpAddress addr;
  if (!makeUdpAddress(host, port, addr)) return -EINVAL;
  int fd = socket(addr.storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  // A receive buffer for ~100 ms bursts of many streams; the kernel caps it at rmem_max.
  int size = 256 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.length) != 0) {
    int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

int boundPort(int fd) {
  UdpAddress a;
  a.length = sizeof a.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length) != 0) return -1;
  return a.port();
}

bool allocateRtpPorts(const std::string& host, int port, bool mux, int portMin, int portMax, int& cursor, int& rtpFd,
                      int& rtcpFd, std::string& error) {
  rtpFd = rtcpFd = -1;
  auto tryPort = [&](int p) -> int {
    int a = openUdpSocket(host, p);
    if (a < 0) return a;
    if (mux) {
      rtpFd = a;
      return 0;
    }
    int b = openUdpSocket(host, p + 1);
    if (b < 0) {
      ::close(a);
      return b;
    }
    rtpFd = a;
    rtcpFd = b;
    return 0;
  };
  if (port > 0) {
    int r = tryPort(port);
    if (r == 0) return true;
    error = "cannot bind " + host + ":" + std::to_string(port) + ": " + std::strerror(-r);
    return false;
  }
  // RFC 3550 §11: RTP SHOULD use an even port and RTCP the next higher (odd) port.
  int lo = portMin + (portMin & 1);
  int hi = portMax - 1;
  if (lo > hi) {
    error = "empty RTP port range " + std::to_string(portMin) + "-" + std::to_string(portMax);
    return false;
  }
  const int slots = (hi - lo) / 2 + 1;
  int last = 0;
  for (int i = 0; i < slots; i++) {
    if (cursor < lo || cursor > hi) cursor = lo;
    int p = cursor;
    cursor += 2;
    int r = tryPort(p);
    if (r == 0) return true;
    last = r;
    if (r != -EADDRINUSE && r != -EACCES) break;
  }
  error = "no free RTP port in " + std::to_string(portMin) + "-" + std::to_string(portMax) + " on " + host +
          (last ? std::string(": ") + std::strerror(-last) : "");
  return false;
}

}  // namespace sipmedia
