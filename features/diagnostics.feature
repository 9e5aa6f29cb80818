Feature: Diagnostics: calls that lost their audio, and the endpoint's own log file
  A call whose far end stops sending audio (a phone that crashed, a network path that broke) is
  ended by the agent's endpoint once no audio arrived for `policy.endpoint.rtp_inactivity_timeout`
  seconds: it sends a BYE, and the desktop sees the call ended by the agent's side with SIP code
  408 "RTP timeout". A call on hold is never ended for its silence, whoever holds it; the count
  starts again when it is retrieved. 0 (the default) means never, and a change applies at once to
  the calls already running.

  With `system.diagnostics.enable_logging` on, the endpoint writes its own log to
  `system.diagnostics.log_file`: one JSON object per line (time, level, message, fields), at the
  level of `log_level` (4 adds every SIP message, the digest response hidden). Changing the file
  or switching logging off applies at once; a file that cannot be opened is reported as a warning
  and the agent's calls go on.

  @spec:3-rtp-inactivity
  Scenario: The customer's phone goes silent: the agent's endpoint ends the call
    Given Agent Alice is on a standalone line
    And Alice's endpoint ends a call after 2 seconds without audio
    And Customer Bob is on a standalone line
    And Bob's phone sends no audio at all
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Alice's call ends within 6 seconds with SIP code 408 "RTP timeout", ended by herself
    And Bob's call ends, ended by the other side

  @spec:3-rtp-inactivity
  Scenario: A call on hold is not ended for its silence; once retrieved, it is
    Given Agent Alice is on a standalone line
    And Alice's endpoint ends a call after 2 seconds without audio
    And Customer Bob is on a standalone line
    And Bob's phone sends no audio at all
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice puts the call on hold
    Then Alice's call is on hold
    When 4 seconds pass
    Then Alice's call is still connected
    When Alice retrieves the call
    Then Alice's call is no longer on hold
    And Alice's call ends within 6 seconds with SIP code 408 "RTP timeout", ended by herself

  @spec:3-rtp-inactivity @verb:setConfigSetting
  Scenario: 0 never ends a silent call; a timeout set during the call applies to it
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line
    And Bob's phone sends no audio at all
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Alice's setting "policy.endpoint.rtp_inactivity_timeout" reads "0"
    When 3 seconds pass
    Then Alice's call is still connected
    When Alice's desktop sets "policy.endpoint.rtp_inactivity_timeout" to "2"
    Then Alice's call ends within 6 seconds with SIP code 408 "RTP timeout", ended by herself

  @spec:3-log-file
  Scenario: The endpoint writes its own log file, with SIP traces at level 4
    Given Agent Alice is on a standalone line
    And Alice's settings turn logging on, to the file "alice.log"
    And Customer Bob is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's call ends, ended by herself
    And Alice's log file "alice.log" has the call's information records, one JSON object per line, and no SIP traces
    When Alice's desktop sets "system.diagnostics.log_level" to "4"
    And Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's call ends, ended by herself
    And Alice's log file "alice.log" has the SIP traces of her INVITE and of the BYE

  @spec:3-log-file
  Scenario: Logging moved to another file, then switched off, during the day
    Given Agent Alice is on a standalone line
    And Alice's settings turn logging on, to the file "morning.log"
    And Customer Bob is on a standalone line
    When Alice's desktop moves her log to the file "afternoon.log"
    And Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's call ends, ended by herself
    And Alice's log file "afternoon.log" has the call's information records, one JSON object per line, and no SIP traces
    And Alice's log file "morning.log" ends with the line closing it, and has no call
    When Alice's desktop sets "system.diagnostics.enable_logging" to "0"
    And Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's call ends, ended by herself
    And Alice's log file "afternoon.log" has nothing of the second call

  @spec:3-log-file
  Scenario: A log file that cannot be opened: a warning, and the calls go on
    Given Agent Alice is on a standalone line
    And Alice's settings turn logging on, to the file "no-such-folder/alice.log"
    And Customer Bob is on a standalone line
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Alice hears Bob
    And Alice's desktop was warned that the log file "no-such-folder/alice.log" cannot be opened
    And there is no log file "no-such-folder/alice.log"
