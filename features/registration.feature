Feature: Registration with the SIP registrar
  An agent's line registers with the registrar (Kamailio here, digest authentication, realm
  test.local) and is Ready; the endpoint is Active while at least one line is Ready. Wrong
  credentials leave the line Failed with the server's answer as its error text; a server that
  never answers leaves it Failed with a timeout as its text, and the line keeps retrying by
  itself (every reg_interval). Signing out unregisters the line: the registrar confirms it and
  keeps no address for her. Failover between sites is in
  failover.feature.

  Background:
    Given the registrar is running

  @verb:shutdown @spec:2-endpoint @spec:2-connection
  Scenario: Alice signs in, is reachable by number, and signs out
    When Agent Alice signs in as 5001 with password "secret"
    Then Alice's line goes Registering, then Ready
    And Alice's endpoint is Active
    When Customer Bob signs in as 5002 with password "secret"
    And Bob's line goes Registering, then Ready
    And Alice dials "5002"
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice
    And Alice hears Bob
    When Alice hangs up
    Then Bob's call ends, ended by the other side
    When Alice signs out
    Then Alice's line goes Unregistering, then ShuttingDown, then Disabled
    And Alice's endpoint is Inactive
    And the registrar accepted Alice's sign-out and lists no address for her any more

  @spec:2-connection-failed
  Scenario: Wrong credentials: the line fails and says why
    When Agent Alice signs in as 5003 with password "wrong"
    Then Alice's line goes Registering, then Failed
    And Alice's line error mentions the registrar's rejection
    And Alice's endpoint is Inactive

  @spec:2-connection-failed
  Scenario: Unreachable server: the line fails, says why, and keeps retrying
    When Agent Alice signs in as 5004 to a server address where nothing answers
    Then Alice's line goes Registering, then Failed
    And Alice's line error says the server did not answer
    And Alice's endpoint is Inactive
    And Alice's line tries again and fails again, by itself
