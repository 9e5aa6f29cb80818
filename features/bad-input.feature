Feature: Bad input: malformed requests, unacceptable offers, unreachable destinations
  The agent's endpoint must survive whatever arrives on its line. A request it cannot understand
  is answered "400 Bad Request" (naming the missing header when it can) or, when not even an
  address to answer to can be read, dropped; it never rings the agent's phone, and the next real
  call works as usual. A call whose offer the agent's endpoint cannot accept (only codecs it does
  not have: "488 Not Acceptable Here"; a body that is not SDP: "400 Bad Request") is refused as it
  arrives, before ringing: the agent never sees a call she could not answer. A call to a
  destination that cannot be reached ends with the reason the agent's desktop shows.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line

  Scenario Outline: A faulty device sends <request>: it gets <answer>, and Alice's next call works
    When a faulty device sends Alice's line <request>
    Then the faulty device gets <answer>
    And Alice's phone did not ring
    When Bob calls Alice
    And Alice answers
    Then Alice and Bob are connected on the same call
    And Alice hears Bob

    Examples:
      | request                                              | answer              |
      | an INVITE without a Via header                       | "400 Missing Via"   |
      | an INVITE without a CSeq header                      | "400 Missing CSeq"  |
      | an INVITE without a Call-ID header                   | "400 Missing Call-ID" |
      | an INVITE whose Content-Length is beyond its body    | "400 Bad Request"   |
      | an INVITE whose Content-Length is not a number       | "400 Bad Request"   |
      | bytes that are not SIP at all                        | no answer           |

  Scenario Outline: A call whose offer Alice cannot accept is refused at once with <code>: her phone never rings
    When a caller's INVITE offers Alice <offer>
    Then the caller gets "<code> <reason>" without any ringing first
    And Alice's phone did not ring
    When Bob calls Alice
    And Alice answers
    Then Alice and Bob are connected on the same call
    And Alice hears Bob

    Examples:
      | offer                                   | code | reason              |
      | only the G729/8000 codec, which she lacks | 488  | Not Acceptable Here |
      | a session description that is not SDP  | 400  | Bad Request         |

  Scenario Outline: Alice calls <destination>: her call ends with <code> "<reason>"
    Given Alice's SIP timers are 100 ms (a request times out after 6.4 seconds)
    When Alice calls <destination>
    Then Alice's call ends within <seconds> seconds with SIP code <code> "<reason>", ended by herself

    Examples:
      | destination                                   | code | reason                          | seconds |
      | a TCP port on this machine where nothing runs | 503  | Service Unavailable (no target) | 2       |
      | a UDP port on this machine that never answers | 408  | Request Timeout                 | 9       |
      | a domain name that does not exist             | 503  | Service Unavailable (DNS)       | 9       |
