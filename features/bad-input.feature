Feature: Bad input: malformed requests, unacceptable offers, unreachable destinations
  The agent's endpoint must survive whatever arrives on its line. A request it cannot understand
  is answered "400 Bad Request" (naming the missing header when it can) or, when not even an
  address to answer to can be read, dropped; it never rings the agent's phone, and the next real
  call works as usual. A call offering only codecs the agent's endpoint does not have cannot be
  answered: answering it refuses it with "488 Not Acceptable Here". A call to a destination that
  cannot be reached ends with the reason the agent's desktop shows.

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

  Scenario: A call offering only a codec Alice does not have is refused with 488 when she answers
    When a caller's INVITE offers Alice only G729/8000
    Then Alice's phone rings
    When Alice tries to answer
    Then the caller gets "488 Not Acceptable Here"
    And Alice's call ends with SIP code 488, ended by herself
    And Alice is told the offer had no codec in common

  Scenario Outline: Alice calls <destination>: her call ends with <code> "<reason>"
    Given Alice's SIP timers are 100 ms (a request times out after 6.4 seconds)
    When Alice calls <destination>
    Then Alice's call ends within <seconds> seconds with SIP code <code> "<reason>", ended by herself

    Examples:
      | destination                                   | code | reason                          | seconds |
      | a TCP port on this machine where nothing runs | 503  | Service Unavailable (no target) | 2       |
      | a UDP port on this machine that never answers | 408  | Request Timeout                 | 9       |
      | a domain name that does not exist             | 503  | Service Unavailable (DNS)       | 9       |
