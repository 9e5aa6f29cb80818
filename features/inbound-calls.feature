Feature: Inbound calls from customers' desk phones
  A customer calls the agent from an ordinary SIP desk phone, not from one of our endpoints:
  baresip and linphone, two open-source phones, play the customer's phone here. The agent's phone
  rings, she answers, both hear each other, and when the customer hangs up the agent's desktop
  shows the call ended by the other side. Bob's phone plays a 500 Hz tone, Alice's microphone a
  1000 Hz tone; the phone records what it hears, measured after the call.

  @spec:1-interop
  Scenario Outline: Customer Bob calls Agent Alice from a <phone> phone
    Given Agent Alice is on a standalone line
    And Customer Bob has a <phone> desk phone
    When Bob calls Alice from his desk phone
    Then Alice's phone rings
    And Alice sees the call comes from Bob
    When Alice answers
    Then Alice's call is connected to Bob's desk phone
    And Alice hears Bob
    And Alice has received at least 20 audio packets
    When Bob hangs up his desk phone
    Then Alice's call ends, ended by the other side
    And Bob's desk phone heard Alice's tone

    Examples:
      | phone    |
      | baresip  |
      | linphone |
