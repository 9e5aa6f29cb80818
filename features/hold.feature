Feature: Hold and retrieve
  A connected call can be put on hold and taken back, by the agent from her desktop (first-party
  call control) or by the SIP Server on the agent's behalf (third-party call control: the agent
  desktop asked for THoldCall / TRetrieveCall and the SIP Server re-INVITEs the endpoint, or
  sends it a NOTIFY). Whoever holds, the held customer hears nothing of the agent: her endpoint
  sends no audio while the call is on hold (it offers sendonly, as RFC 3264 allows for music on
  hold, but has none to play), and sends again once the call is retrieved.

  @verb:hold @verb:retrieve
  Scenario: The agent holds and retrieves the customer
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Alice hears Bob
    When Alice puts the call on hold
    Then Alice's call is on hold
    And Bob's call is on hold
    And Alice sends no audio while on hold
    And Bob no longer receives audio from Alice
    And Alice no longer receives audio from Bob
    When Alice retrieves the call
    Then Alice's call is no longer on hold
    And Bob's call is no longer on hold
    And Alice hears Bob again
    And Bob hears Alice again

  @spec:1-tholdcall
  Scenario: The SIP Server holds the agent's call (THoldCall: re-INVITE with hold SDP)
    Given Agent Alice's endpoint answers to the SIP Server
    When the SIP Server runs its "THoldCall" flow
    Then Alice's call is on hold while still connected
    And Alice sends no audio while on hold
    And the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Connected on hold, Disconnected on hold
    And Alice's call was ended by the SIP Server

  @spec:1-tretrievecall
  Scenario: The SIP Server retrieves the agent's call (TRetrieveCall: re-INVITE without SDP)
    Given Agent Alice's endpoint answers to the SIP Server
    When the SIP Server runs its "TRetrieveCall" flow
    Then Alice's call is on hold while still connected
    And Alice's call comes off hold while still connected
    And Alice sends audio again after the retrieve
    And the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Connected on hold, Connected, Disconnected
    And Alice's answer to the retrieve offered fresh media (sendrecv) and took the answer from the ACK

  @spec:1-tholdcall-notify
  Scenario: The SIP Server holds the agent's call by NOTIFY (THoldCall: NOTIFY Event: hold)
    Given Agent Alice's endpoint answers to the SIP Server
    When the SIP Server runs its "THoldCall by NOTIFY" flow
    Then Alice's call is on hold while still connected
    And Alice sends no audio while on hold
    And the SIP Server's flow completes
    And Alice's endpoint accepted the SIP Server's NOTIFY "hold" with 200
    And Alice held the call herself with a re-INVITE offering sendonly
    And Alice's re-INVITE advertises "Allow-Events: talk, hold, refer, conference"
    And Alice's call went through: Alerting, Connected, Connected on hold, Disconnected on hold
    And Alice's call was ended by the SIP Server

  @spec:1-tretrievecall-notify
  Scenario: The SIP Server retrieves the agent's held call by NOTIFY (TRetrieveCall: NOTIFY Event: talk)
    Given Agent Alice's endpoint answers to the SIP Server
    When the SIP Server runs its "TRetrieveCall by NOTIFY" flow
    Then Alice's call is on hold while still connected
    And Alice's call comes off hold while still connected
    And Alice sends audio again after the retrieve
    And the SIP Server's flow completes
    And Alice's endpoint accepted the SIP Server's NOTIFY "talk" with 200
    And Alice retrieved the call herself with a re-INVITE offering sendrecv
    And Alice's call went through: Alerting, Connected, Connected on hold, Connected, Disconnected
    And Alice's call was ended by the SIP Server
