Feature: Auto-answer by the SIP Server's triggers and the headset policy
  When the agent desktop asks the SIP Server for a call from the agent's DN (TMakeCall), the SIP
  Server first calls the agent's endpoint with a marker that says "answer at once". The endpoint
  answers with no user action, then takes the far party's media from a re-INVITE. A policy can
  also answer every call; the headset policy blocks auto-answer (or rejects the call) when the
  required headset is missing. SIPp plays the SIP Server.

  Background:
    Given Agent Alice's endpoint answers to the SIP Server

  @spec:1-tmakecall
  Scenario Outline: A call marked "<marker>" is answered without the agent
    When the SIP Server places a call marked "<marker>"
    Then Alice's endpoint answered without her doing anything
    And the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Disconnected
    And Alice's endpoint sent audio to the far party the SIP Server announced
    And Alice's 180 and 200 advertise "Allow-Events: talk, hold, refer, conference"
    And Alice's call was ended by the SIP Server

    Examples:
      | marker                            |
      | Call-Info: answer-after=0         |
      | Alert-Info: info=alert-autoanswer |
      | Answer-Mode: Auto                 |

  @spec:1-tmakecall-late-ack
  Scenario: TMakeCall with a late ACK (RFC3725=1): Alice offers her media, the far party's answer comes in the ACK
    When the SIP Server places a call marked "Call-Info: answer-after=0, without SDP, acknowledged 2 seconds later"
    Then Alice's endpoint answered without her doing anything
    And the SIP Server's flow completes
    And Alice's endpoint repeated its 200 with her media offer until the late ACK came
    And Alice's call went through: Alerting, Connected, Disconnected
    And Alice's endpoint sent audio to the far party the SIP Server announced
    And Alice's call was ended by the SIP Server

  Scenario: A call marked "answer-after=1" rings for about a second, then is answered
    When the SIP Server places a call marked "Call-Info: answer-after=1"
    Then the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Disconnected
    And Alice rang for between 900 and 3000 ms before answering

  @spec:3-auto-answer
  Scenario: The auto_answer policy answers a call without any marker
    Given Alice's policy answers every call automatically
    When the SIP Server places a call marked "no auto-answer marker"
    Then the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Disconnected
    And Alice rang for between 0 and 500 ms before answering

  Scenario: Without policy or marker the call only rings
    When the SIP Server places a call marked "no auto-answer marker" and gives up after 2 seconds
    Then the SIP Server's flow does not complete, as no answer came
    And Alice's phone only rings

  @spec:3-headset
  Scenario: A required headset that is missing blocks auto-answer
    Given Alice's policy requires a headset
    And no headset is plugged in
    When the SIP Server places a call marked "Answer-Mode: Auto, cancelled after a second"
    Then the SIP Server's flow completes
    And Alice's phone only rings
    And Alice's call was ended by the SIP Server with SIP code 487

  Scenario: A required headset that is plugged in lets auto-answer work
    Given Alice's policy requires a headset
    And her headset is plugged in
    When the SIP Server places a call marked "Answer-Mode: Auto"
    Then Alice's endpoint answered without her doing anything
    And the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Disconnected

  @spec:3-headset-reject
  Scenario: With reject_session_when_headset_na the call is rejected when the headset is missing
    Given Alice's policy rejects calls with code 486 when her headset is missing
    And no headset is plugged in
    When the SIP Server places a call marked "Answer-Mode: Auto" and gives up after 5 seconds
    Then the SIP Server's flow does not complete, as no answer came
    And Alice's endpoint rejected the call with SIP code 486
