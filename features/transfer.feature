Feature: Blind and attended transfer (first-party call control)
  The agent moves a customer's call to a colleague: blind (the call is handed over at once, REFER)
  or attended (the agent first talks to the colleague, then joins the two: REFER with Replaces).
  Every phone is one of our endpoints on a standalone line; Alice plays 1000 Hz, Carol 1500 Hz.

  Background:
    Given Customer Alice is on a standalone line
    And Agent Bob is on a standalone line
    And Supervisor Carol is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call

  Scenario: Bob transfers Alice to Carol without consulting (blind transfer)
    When Bob transfers the call to Carol
    And Carol answers
    Then Bob's transfer is reported successful
    And Alice and Carol are connected on a new call placed by Alice
    When Bob hangs up
    Then Alice's first call ends, ended by the other side
    And Carol hears Alice
    And Alice hears Carol

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
