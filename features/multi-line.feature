Feature: Several calls at once (multi-line)
  The agent's endpoint holds several calls at the same time, one per caller: she puts one on hold
  to take another, and swaps back. A limit on the number of calls at once makes a caller beyond it
  hear busy (SIP 486), while the calls in progress go on. Each person's microphone plays a tone:
  Alice 1000 Hz, Bob 500 Hz, Carol 1500 Hz.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line
    And Customer Carol is on a standalone line

  @spec:2-multi-call
  Scenario: Alice holds Bob to answer Carol, then swaps back to Bob
    When Bob calls Alice
    And Alice answers her call from Bob
    Then Alice hears Bob on her call with him
    When Carol calls Alice
    Then Alice's phone rings
    When Alice puts her call with Bob on hold
    And Alice answers her call from Carol
    Then Alice has 2 calls, the one with Bob on hold
    And Alice hears Carol on her call with her
    And Alice receives no audio on her call with Bob
    When Alice puts her call with Carol on hold
    And Alice takes her call with Bob off hold
    Then Alice hears Bob on her call with him
    And Alice receives no audio on her call with Carol
    When Bob hangs up
    Then Alice's call with Bob ends, ended by the other side
    And Alice's call with Carol is still on hold

  Scenario: With a limit of one call, a second caller hears busy
    Given Agent Alice takes at most 1 call at a time
    When Bob calls Alice
    And Alice answers her call from Bob
    When Carol calls Alice
    Then Carol's call ends with SIP code 486, ended by the other side
    And Alice's phone never rang for Carol
    And Alice hears Bob on her call with him
