Feature: Runtime configuration changes
  The agent desktop reads and changes the endpoint's settings while it runs, by their Genesys key
  (getConfigSetting / setConfigSetting): the DTMF method, codec priorities and the auto-answer
  policy take effect on the next call, without a restart. A key the endpoint does not know reads
  as an empty text; a value the setting cannot take is refused with an error naming the setting,
  and the setting keeps its value.

  Background:
    Given Agent Alice is on a standalone line sending DTMF by "rfc2833"
    And Customer Bob is on a standalone line

  Scenario: Switching the DTMF method to SIP INFO applies to the next call
    When Alice calls Bob
    And Bob answers
    And Alice presses "1"
    Then Bob receives the digits "1" as RFC 4733 events
    When Alice hangs up
    And Alice's desktop sets "policy.session.dtmf_method" to "Info"
    Then Alice's setting "policy.session.dtmf_method" reads "Info"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice presses "12#"
    Then Bob receives the digits "12#" as SIP INFO requests

  Scenario: Raising a codec's priority changes the codec of the next call
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And the call uses PCMU/8000
    When Alice hangs up
    And Bob's desktop sets "codecs.PCMA/8000" to "10"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And the call uses PCMA/8000
    And Bob hears Alice
    And Alice hears Bob

  Scenario: Turning auto-answer on makes the next call answer itself
    When Alice calls Bob
    Then Bob's phone rings
    When Alice hangs up
    And Bob's desktop sets "policy.session.auto_answer" to "1"
    And Alice calls Bob
    Then Bob's phone answers by itself
    And Alice and Bob are connected on the same call
    And Bob hears Alice

  Scenario: An unknown key reads as empty; a bad value is refused and changes nothing
    Given Alice's endpoint has started
    Then Alice's setting "policy.session.no_such_setting" reads ""
    And Alice's setting "user:7" reads ""
    When Alice's desktop tries to set "policy.session.dtmf_method" to "smoke signals"
    Then the change is refused with an error naming "policy.session.dtmf_method"
    And Alice's setting "policy.session.dtmf_method" reads "rfc2833"
    When Alice's desktop tries to set "codecs.PCMA/8000" to "300"
    Then the change is refused with an error naming "codecs.PCMA/8000"
    And Alice's setting "codecs.PCMA/8000" reads "2"
