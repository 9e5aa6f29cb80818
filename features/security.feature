Feature: Encrypted call audio (SRTP)
  The contact centre decides whether call audio must be encrypted: the Genesys setting
  system.security.use_srtp is "mandatory" (only encrypted calls), "optional" (encrypted when the
  other phone can, plain otherwise) or "disabled" (plain audio only). Encryption is SRTP with keys
  exchanged in the call's offer and answer (SDES). An encrypted call carries audio both ways, and
  what travels on the wire cannot be listened to; a phone that insists on encryption and one that
  cannot do it never connect: the call is refused with 488 Not Acceptable Here. Both phones speak
  PCMU here, so the audio captured on the wire can be decoded. Alice plays 1000 Hz, Bob 500 Hz.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line
    And Alice and Bob offer only PCMU/8000

  @spec:3-srtp
  Scenario Outline: Alice (<alice>) calls Bob (<bob>): the call is encrypted, they hear each other, the wire carries no audible voice
    Given Alice's call audio encryption is <alice>
    And Bob's call audio encryption is <bob>
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Alice's offer carries SRTP keys (SDES)
    And the call's audio is encrypted both ways, on both phones
    And Bob hears Alice
    And Alice hears Bob
    And Alice's voice cannot be heard in the audio on the wire
    When Alice hangs up
    Then Bob's call ends, ended by the other side

    Examples:
      | alice     | bob       |
      | mandatory | mandatory |
      | mandatory | optional  |
      | optional  | mandatory |
      | optional  | optional  |

  @spec:3-srtp
  Scenario: Encryption disabled on both phones: plain audio, and the wire carries Alice's voice in clear
    Given Alice's call audio encryption is disabled
    And Bob's call audio encryption is disabled
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Alice's offer carries no SRTP keys
    And the call's audio is not encrypted
    And Bob hears Alice
    And Alice's voice can be heard in clear in the audio on the wire

  @spec:3-srtp
  Scenario Outline: Alice (<alice>) calls Bob (<bob>): one insists on encryption, the other cannot do it, the call is refused with 488
    Given Alice's call audio encryption is <alice>
    And Bob's call audio encryption is <bob>
    When Alice calls Bob
    Then Alice's call ends with SIP code 488, ended by the other side
    And Bob's phone did not ring

    Examples:
      | alice     | bob       |
      | mandatory | disabled  |
      | disabled  | mandatory |
