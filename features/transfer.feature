Feature: Blind and attended transfer, by the agent and by the SIP Server
  The agent moves a customer's call to a colleague: blind (the call is handed over at once, REFER)
  or attended (the agent first talks to the colleague, then joins the two: REFER with Replaces).
  The agent does it from her desktop (first-party call control), or the desktop asks the SIP
  Server (T-Lib), which drives the agent's endpoint (third-party call control).

  Rule: The agent transfers from her desktop (first-party call control)
    Every phone is one of our endpoints on a standalone line; Alice plays 1000 Hz, Carol 1500 Hz.

    Background:
      Given Customer Alice is on a standalone line
      And Agent Bob is on a standalone line
      And Supervisor Carol is on a standalone line
      When Alice calls Bob
      And Bob answers
      Then Alice and Bob are connected on the same call

    @verb:transfer @spec:1-receive-refer
    Scenario: Bob transfers Alice to Carol without consulting (blind transfer)
      When Bob transfers the call to Carol
      And Carol answers
      Then Bob's transfer is reported successful
      And Alice and Carol are connected on a new call placed by Alice
      When Bob hangs up
      Then Alice's first call ends, ended by the other side
      And Carol hears Alice
      And Alice hears Carol

    @verb:consult @verb:completeTransfer @spec:1-receive-replaces
    Scenario: Bob consults Carol, then completes the transfer (attended transfer)
      When Bob consults Carol
      Then Bob's call with Alice is on hold
      When Carol answers
      Then Bob is connected to Carol on the consult call
      When Bob completes the transfer
      Then Bob's transfer is reported successful
      And Carol is connected to Alice on a call that replaces the consult call
      And both of Bob's calls have ended
      And Alice has one connected call
      And Carol hears Alice
      And Alice hears Carol

  Rule: The SIP Server transfers on the agent's behalf (third-party call control)
    SIPp plays the SIP Server and drives Agent Alice's endpoint; the customer's side of the
    transfer happens at the SIP Server.

    Background:
      Given Agent Alice's endpoint answers to the SIP Server

    @spec:1-tsinglesteptransfer
    Scenario: Single-step transfer (TSingleStepTransfer): the SIP Server refers the customer away, Alice's call just ends
      When the SIP Server runs its "TSingleStepTransfer" flow
      Then the SIP Server's flow completes
      And Alice's call went through: Alerting, Connected, Disconnected
      And Alice's endpoint answered the SIP Server's BYE with 200
      And Alice's call was ended by the SIP Server

    @spec:1-tinitiatetransfer @spec:1-tcompletetransfer
    Scenario: Two-step transfer (TInitiateTransfer, then TCompleteTransfer)
      When the SIP Server puts Alice's call on hold and calls her for a consultation (TInitiateTransfer)
      Then Alice has two calls: the first on hold, the consultation connected
      And Alice sends audio on the consultation, not on the held call
      When the SIP Server completes the transfer (TCompleteTransfer: BYE on both of Alice's calls)
      Then both of Alice's calls were ended by the SIP Server
