Feature: Calls between an agent and a customer
  An agent's endpoint places and receives calls. Once a call is connected both people hear each
  other; a call can be rejected, cancelled while it rings, or given up when nobody answers.
  In these scenarios every phone is one of our endpoints on a standalone line (no registrar),
  all on this machine. Each person's microphone plays a tone so the far side can tell who it
  hears: Alice 1000 Hz, Bob 500 Hz, Carol 1500 Hz.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line

  @verb:dial @verb:answer @verb:hangup @spec:2-session
  Scenario: Alice calls Bob and they hear each other
    When Alice calls Bob
    Then Bob's phone rings
    When Bob answers
    Then Alice and Bob are connected on the same call
    And the call's id on both sides is the Call-ID of Bob's INVITE
    And Bob hears Alice
    And Alice hears Bob
    And Alice has sent at least 20 audio packets
    When Alice hangs up
    Then Bob's call ends, ended by the other side
    And Alice's call ends, ended by herself
    And Alice's call went InProgress, Connected, Disconnected
    And Bob's call went Alerting, Connected, Disconnected

  @verb:reject
  Scenario: Bob rejects the call as busy
    When Alice calls Bob
    And Bob's phone rings
    And Bob rejects the call as busy
    Then Alice's call ends with SIP code 486, ended by the other side
    And Bob's call ends with SIP code 486, ended by himself

  @verb:reject
  Scenario: Bob declines the call with a code of his choice (603 Decline)
    When Alice calls Bob
    And Bob's phone rings
    And Bob rejects the call with 603 "Decline"
    Then Alice's call ends with SIP code 603 "Decline", ended by the other side
    And Bob's call ends with SIP code 603, ended by himself

  @verb:hangup
  Scenario: Alice cancels the call while it rings
    When Alice calls Bob
    And Bob's phone rings
    And Alice hangs up
    Then Alice's call ends, ended by herself
    And Bob's call ends with SIP code 487, ended by the other side

  Scenario: Nobody answers: Alice's desktop gives up after 2 seconds
    Given Alice's desktop gives up on unanswered calls after 2 seconds
    When Alice calls Bob
    And Bob's phone rings
    Then Alice's call ends between 2 and 4 seconds after dialling, ended by herself
    And Bob's call ends with SIP code 487, ended by the other side

  @verb:registerHeaderProvider
  Scenario: Alice's desktop adds its own header to every call she places
    Given Alice's desktop adds "X-Agent-Desk: 12" to her calls
    When Alice calls Bob
    Then Bob's phone rings
    And Bob's call came with "X-Agent-Desk: 12"

  @verb:dispose
  Scenario: Alice's desktop closes abruptly: no goodbye is sent, Bob's phone still shows the call but hears nothing
    Given Bob's SIP timers are 50 ms (a request times out after 3.2 seconds)
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice
    When Alice's desktop closes abruptly
    Then Bob receives no more audio from Alice
    And Bob's call is still connected
    When Bob hangs up
    Then Bob's call ends, ended by himself

  @spec:1-transports
  Scenario Outline: A call over <transport> with <codec> carries audio both ways
    Given Alice and Bob use <transport> lines offering only <codec>
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And their call's signaling went over <transport>
    And the call uses <codec>
    And Bob hears Alice
    And Alice hears Bob
    When Bob hangs up
    Then Alice's call ends, ended by the other side

    Examples:
      | transport | codec        |
      | UDP       | PCMU/8000    |
      | UDP       | PCMA/8000    |
      | UDP       | G722/16000   |
      | UDP       | opus/48000/2 |
      | TCP       | PCMU/8000    |
      | TCP       | PCMA/8000    |
      | TCP       | G722/16000   |
      | TCP       | opus/48000/2 |
      | TLS       | PCMU/8000    |
      | TLS       | PCMA/8000    |
      | TLS       | G722/16000   |
      | TLS       | opus/48000/2 |
