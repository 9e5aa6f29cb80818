Feature: DTMF
  The agent's keypad digits reach the far side by the method of policy.session.dtmf_method:
  rfc2833 (RFC 4733 telephone-events in the RTP stream), Info (SIP INFO, application/dtmf-relay)
  or InbandRtp (the dual tones mixed into the audio). Digits arriving by SIP INFO are recognised
  with either body a desk phone may use (RFC 2976 INFO: application/dtmf-relay or application/dtmf).

  @verb:sendDtmf-rfc2833 @verb:sendDtmf-info
  Scenario Outline: Digits sent by <method> reach the customer
    Given Agent Alice is on a standalone line sending DTMF by "<method>"
    And Customer Bob is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice presses "12#"
    Then Bob receives the digits "12#" as <received>

    Examples:
      | method  | received          |
      | rfc2833 | RFC 4733 events   |
      | Info    | SIP INFO requests |

  @verb:sendDtmf-inband
  Scenario: Digits sent in-band are heard as dual tones
    Given Agent Alice is on a standalone line sending DTMF by "InbandRtp"
    And Customer Bob is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice presses "5" for 400 ms while Bob listens
    Then Bob hears 770 Hz and 1336 Hz, the tones of digit 5

  @spec:1-dtmf-info-bodies
  Scenario Outline: A digit arriving as SIP INFO with an <type> body is recognised
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Bob's phone sends the digit "9" in a SIP INFO with an <type> body
    Then Alice receives the digits "9" as SIP INFO requests

    Examples:
      | type                   |
      | application/dtmf-relay |
      | application/dtmf       |
