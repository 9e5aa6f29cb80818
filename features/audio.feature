Feature: Audio during a call: mute, volumes, call quality, sound devices
  While a call goes on, the agent's desktop mutes her microphone (on one call or on every call),
  mutes her speaker, and turns the microphone and speaker volumes up or down; the far side hears
  the difference. After the call the desktop reads the call's quality statistics under the keys a
  Genesys desktop knows, with a MOS score. When the agent's headset is unplugged during a call,
  the call goes on with the computer's default sound device. Alice plays 1000 Hz, Bob 500 Hz.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line

  @verb:mute
  Scenario: Alice mutes her microphone on the call: Bob hears silence, then hears her again
    When Alice calls Bob
    And Bob answers
    Then Bob hears Alice
    When Alice mutes her microphone on the call
    Then Bob hears silence from Alice
    And Alice hears Bob
    When Alice unmutes her microphone on the call
    Then Bob hears Alice again

  @verb:micMuted @verb:speakerMuted @spec:2-extended-mute
  Scenario: Alice's desktop mutes her microphone, then her speaker, for every call
    When Alice calls Bob
    And Bob answers
    Then Bob hears Alice
    When Alice's desktop mutes her microphone
    Then Bob hears silence from Alice
    When Alice's desktop unmutes her microphone
    Then Bob hears Alice again
    When Alice's desktop mutes her speaker
    Then Alice hears silence from Bob
    And Bob hears Alice
    When Alice's desktop unmutes her speaker
    Then Alice hears Bob again

  @verb:micVolume @verb:speakerVolume @spec:2-extended-volume
  Scenario: Alice turns her microphone and her speaker down to a quarter: about 12 dB quieter each
    When Alice calls Bob
    And Bob answers
    Then Bob hears Alice
    And Alice hears Bob
    When Alice's desktop sets her microphone volume to 0.25
    Then Bob hears Alice about 12 dB quieter than before
    When Alice's desktop sets her speaker volume to 0.25
    Then Alice hears Bob about 12 dB quieter than before
    And Alice's desktop reads her microphone volume 0.25 and her speaker volume 0.25

  @verb:statistics @spec:2-statistics @spec:2-session
  Scenario: After the call, Alice's desktop reads its quality statistics (Genesys keys, MOS)
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When their phones have exchanged call quality reports (RTCP)
    And Alice hangs up
    Then Alice's call ends, ended by herself
    And Alice's ended call still has its statistics, with every Genesys key:
      | Got Local Stat   | Local Frac Lost  | Local Jitter     | Local Oct Count  |
      | Local Pkt Count  | Local Total Lost | Got Remote RR    | Remote Frac Lost |
      | Remote Jitter    | Remote Total Lost| Got Remote SR    | Remote Oct Count |
      | Remote Pkt Count | RTT              | MOS              | MOS Interval     |
    And Alice's statistics show the reports of both sides, no loss and a round trip under 50 ms
    And Alice's call scored a MOS of at least 4 for the whole call and for the last interval

  @verb:onDidChangeDevices @spec:3-device-selection
  Scenario: The headset is unplugged during a call: the call continues on the default device
    Given Alice's computer has a USB headset and a default sound device, and her policy prefers the headset
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice's headset microphone
    And Alice hears Bob in her headset
    When Alice's headset is unplugged
    Then Alice's desktop is told the headset was removed
    And Alice's call is still connected
    And Bob hears Alice's default microphone
    And Alice hears Bob on her default speaker
