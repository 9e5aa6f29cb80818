Feature: How an agent's line finds its SIP server
  When the desktop starts, each line first takes its own SIP address and port on the computer
  (the line is PerformingNetworkDiscovery meanwhile), then registers (Registering) and is Ready;
  a standalone line (no registration) goes straight to Ready. A line whose server is a domain
  name asks DNS where the server is, as RFC 3263 says: NAPTR records first (which transports the
  domain offers, in order), each leading to SRV records (which hosts and ports), then A records
  (which addresses). The line skips the NAPTR records of transports it does not use. Here dnsmasq
  publishes the records of test.local and Kamailio is the registrar.

  @spec:2-connection-discovery
  Scenario: A standalone line takes its address, then is Ready
    When Agent Alice's desktop starts her standalone line
    Then Alice's line went PerformingNetworkDiscovery, then Ready

  @spec:4-naptr @spec:2-connection-discovery
  Scenario: Alice's line finds the registrar through NAPTR, SRV and A records, over the transport it can use
    Given the registrar has a primary and a secondary site
    And DNS publishes for "test.local": NAPTR records offering TCP to the secondary site first, then UDP to the primary site, and a plain UDP SRV record for the secondary site
    When Agent Alice signs in over UDP to "test.local" as 7201
    Then Alice's line went PerformingNetworkDiscovery, then Registering, then Ready
    And Alice's line registered over UDP at the primary site
    And Alice's line sent nothing to the secondary site
