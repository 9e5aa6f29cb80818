Feature: Message waiting
  When the agent's line has a mailbox, her endpoint subscribes to it (RFC 3842 message-summary)
  and shows what the voicemail server reports: whether messages are waiting, how many voice
  messages are new and old, how many of them urgent. The voicemail server (SIPp here) asks for
  Alice's password first, then sends three updates: two new messages, a third new one (urgent),
  and finally none new once they were all heard.

  @spec:3-mailbox
  Scenario: Alice's desktop shows the waiting messages, then clears them
    Given the voicemail server has messages for Alice, password "secret"
    When Agent Alice signs in with her mailbox on the voicemail server, password "secret"
    Then Alice's message waiting indicator shows, in order:
      | messages waiting | new voice | old voice | new urgent |
      | yes              | 2         | 8         | 0          |
      | yes              | 3         | 8         | 1          |
      | no               | 0         | 11        | 0          |
    And the voicemail server accepted Alice's password and sent everything
