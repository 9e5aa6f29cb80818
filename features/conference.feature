Feature: Conference, on the agent's desktop and by the SIP Server
  The agent brings a third person into a call: on her desktop (first-party call control: her
  endpoint mixes the audio of both calls and her own microphone, so each person hears the other
  two), or by asking the SIP Server (TInitiateConference, then TCompleteConference: the SIP
  Server moves the agent's call to its conference bridge). Alice plays 1000 Hz, Bob 500 Hz,
  Carol 1500 Hz.

  @verb:conference
  Scenario: Alice joins Bob and Carol in a three-way conference on her desktop
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line
    And Supervisor Carol is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice puts the call on hold
    And Alice calls Carol
    And Carol answers
    Then Alice and Carol are connected on the same call
    When Alice joins her two calls in a conference
    Then Bob hears both Alice and Carol
    And Carol hears both Alice and Bob
    And Alice hears both Bob and Carol
    When Alice hangs up both calls
    Then Bob's call ends, ended by the other side
    And Carol's call ends, ended by the other side

  @spec:1-tinitiateconference @spec:1-tcompleteconference
  Scenario: The SIP Server sets up a conference for the agent (TInitiateConference, then TCompleteConference)
    Given Agent Alice's endpoint answers to the SIP Server
    When the SIP Server puts Alice's call on hold and calls her for a consultation (TInitiateConference)
    Then Alice has two calls: the first on hold, the consultation connected
    When the SIP Server completes the conference (TCompleteConference)
    Then Alice's consultation was ended by the SIP Server
    And Alice's first call is connected to the conference bridge, no longer on hold
    And the conference bridge receives audio from Alice
    And Alice has one call left
    When Alice hangs up the conference call
    Then the SIP Server's flows complete, and Alice's conference call ended by herself
