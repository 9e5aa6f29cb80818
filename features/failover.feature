Feature: Registration failover between two sites
  A contact centre runs its SIP Server on two sites. The agent's line finds them through DNS
  (SRV records of test.local: the primary first, then the secondary) or has one line per site.
  When a site dies, the line moves to the other site by itself; when every site is down, the agent
  sees the line Failed with the reason, and it comes back by itself once a site returns. A call
  through a healthy site is not disturbed. Both sites are Kamailio registrars on this machine;
  registrations here last 4 seconds and a silent site is given up after about 3 seconds.

  Background:
    Given the registrar has a primary and a secondary site

  @spec:4-srv-failover
  Scenario: The primary site stops: Alice's line moves to the secondary site and stays Ready
    Given DNS publishes both sites for "test.local", the primary first
    When Agent Alice signs in to "test.local" as 7001
    Then Alice's line is Ready at the primary site
    When the primary site stops
    Then Alice's line is Ready at the secondary site
    And Alice's line never left Ready
    When Customer Bob signs in at the secondary site as 7002
    And Bob dials "7001"
    And Alice answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice
    When Bob hangs up
    Then Alice's call ends, ended by the other side

  @spec:4-retry
  Scenario: Both sites stop: the line fails and says why, keeps trying, and recovers when a site returns
    Given DNS publishes both sites for "test.local", the primary first
    When Agent Alice signs in to "test.local" as 7003
    Then Alice's line is Ready at the primary site
    When both sites stop
    Then Alice's line is Failed, its error text saying the registrar did not answer
    And Alice's endpoint is Inactive
    And Alice's line keeps trying to register again
    When the secondary site comes back
    Then Alice's line is Ready at the secondary site
    And Alice's endpoint is Active

  @spec:4-lines-per-site @spec:4-call-survives
  Scenario: A call through the secondary site keeps its audio while the primary site dies
    Given Agent Alice has a line at each site as 7101
    And Customer Bob signs in at the secondary site as 7102
    When Alice dials "7102" on her line at the secondary site
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice
    And Alice hears Bob
    When the primary site stops
    Then Alice's line at the primary site is Failed, its error text saying the registrar did not answer
    And Alice's line at the primary site keeps trying to register again
    And Alice's line at the secondary site is still Ready
    And the call between Alice and Bob still carries audio both ways
    When Alice hangs up
    Then Bob's call ends, ended by the other side
