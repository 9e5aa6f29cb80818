Feature: Audio processing of the agent's microphone, changed during a call
  The desktop turns the processing of what the agent's microphone sends on and off during a call
  (the Genesys settings policy.session.agc_mode and vad_level, set with setConfigSetting), and
  the far side hears the difference at once, without the call being renegotiated. Automatic gain
  control (agc_mode) brings a quiet microphone up towards a normal speaking level; voice activity
  detection (vad_level, 1 the mildest to 3 the strictest) decides, with silence suppression
  (dtx_mode) on, what counts as voice worth sending. Alice speaks in short bursts of her 1000 Hz
  tone (300 ms of voice, 100 ms of pause); its level is in dBov, the RMS level relative to full
  scale (the strictest detection level ignores anything below -45 dBov, the mildest only what is
  below -56 dBov).

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line

  @spec:3-agc
  Scenario: Alice's microphone is quiet; automatic gain control switched on during the call makes her louder at Bob's
    Given Alice speaks quietly into her microphone, at -40 dBov
    When Alice calls Bob
    And Bob answers
    Then Bob hears Alice
    And Bob hears Alice at the same level a second later
    When Alice's desktop sets "policy.session.agc_mode" to "true"
    Then within 5 seconds Bob hears Alice at least 6 dB louder than before, without clipping

  @spec:3-vad
  Scenario: A faint voice at Alice's microphone is sent at the mildest voice detection level, and treated as silence at the strictest
    Given Alice speaks faintly into her microphone, at -52 dBov
    And Alice's silence suppression is on, with voice detection level 1
    When Alice calls Bob
    And Bob answers
    Then Bob hears Alice
    And Bob receives audio packets from Alice
    When Alice's desktop sets "policy.session.vad_level" to "3"
    Then Alice's endpoint stops sending her silence, and Bob receives next to nothing from her
    And Bob no longer hears Alice's voice
    When Alice's desktop sets "policy.session.vad_level" to "1"
    Then Bob receives audio packets from Alice
    And Bob hears Alice again
