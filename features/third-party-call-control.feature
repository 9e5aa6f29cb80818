Feature: The SIP Server answers, releases and watches the agent's calls (third-party call control)
  The agent desktop asks the SIP Server (T-Lib) to act on the agent's phone; the SIP Server then
  drives the agent's endpoint with SIP and the endpoint acts with no user action: a NOTIFY with
  Event: talk answers a ringing call (TAnswerCall), a BYE or a CANCEL ends it (TReleaseCall). The
  talk and hold events are implied by the endpoint's Allow-Events, so a SUBSCRIBE for them is
  refused. Hold and retrieve are in hold.feature, TMakeCall in auto-answer.feature, transfers in
  transfer.feature, conferences in conference.feature. SIPp plays the SIP Server.

  Background:
    Given Agent Alice's endpoint answers to the SIP Server

  @spec:1-tanswercall @spec:1-allow-events
  Scenario: The SIP Server answers a ringing call for the agent (TAnswerCall: NOTIFY Event: talk)
    When the SIP Server runs its "TAnswerCall" flow
    Then the SIP Server's flow completes
    And Alice rang for between 400 and 5000 ms before answering
    And Alice's call went through: Alerting, Connected, Disconnected
    And Alice's endpoint accepted the SIP Server's NOTIFY "talk" with 200
    And Alice answered the call with her media before accepting the NOTIFY
    And Alice's 180 and 200 advertise "Allow-Events: talk, hold, refer, conference"
    And Alice sent audio to the SIP Server after the answer
    And Alice's call was ended by the SIP Server

  @spec:1-treleasecall
  Scenario: The SIP Server releases a connected call (TReleaseCall: BYE)
    When the SIP Server runs its "TReleaseCall by BYE" flow
    Then the SIP Server's flow completes
    And Alice's call went through: Alerting, Connected, Disconnected
    And Alice's endpoint answered the SIP Server's BYE with 200
    And Alice's call was ended by the SIP Server

  @spec:1-treleasecall
  Scenario: The SIP Server releases a ringing call (TReleaseCall: CANCEL)
    When the SIP Server runs its "TReleaseCall by CANCEL" flow
    Then the SIP Server's flow completes
    And Alice's phone only rings
    And Alice's call went through: Alerting, Disconnected
    And Alice's endpoint answered the SIP Server's CANCEL with 200
    And Alice's call was ended by the SIP Server with SIP code 487

  @spec:1-subscribe-talk
  Scenario: A SUBSCRIBE for the talk event is refused: the event is implied
    When the SIP Server runs its "SUBSCRIBE for talk" flow
    Then the SIP Server's flow completes
    And Alice's endpoint refused the SUBSCRIBE with 489, listing "talk, hold, refer, conference"
