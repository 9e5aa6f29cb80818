Feature: The desktop's own extensions (providers)
  A desktop extends the endpoint with providers of its own, registered at run time: a
  call-control provider decides about incoming calls (answer at once, refuse), a codec provider
  orders the codecs, a device provider chooses the sound devices. Each one changes what happens on
  a real call. A provider that fails is skipped and logged: the call goes on as if it were not
  there. Alice plays 1000 Hz, Bob 500 Hz, Carol 1500 Hz.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line

  @verb:registerCallControlProvider
  Scenario: Alice's desktop answers calls from a VIP customer at once; other calls ring as usual
    Given Alice's desktop answers calls from "bob" at once
    And Customer Carol is on a standalone line
    When Bob calls Alice
    Then Alice's call is connected without her answering
    And Alice hears Bob
    And Bob hears Alice
    When Bob hangs up
    Then Alice's call ends, ended by the other side
    When Carol calls Alice
    Then Alice's phone rings
    And Alice's call is still ringing a second later

  @verb:registerCallControlProvider
  Scenario: Alice's desktop refuses calls marked as a robocall campaign
    Given Alice's desktop refuses calls carrying "X-Campaign: robocall" with 603 "Decline"
    And Customer Carol is on a standalone line
    And Carol's desktop adds "X-Campaign: robocall" to her calls
    When Carol calls Alice
    Then Carol's call ends with SIP code 603 "Decline", ended by the other side
    When Bob calls Alice
    Then Alice's phone rings

  @verb:registerCodecProvider
  Scenario: Alice's desktop prefers PCMA: the call she answers uses it, though her settings rank PCMU first
    Given Alice and Bob have the codecs PCMU/8000 first, then PCMA/8000
    And Alice's desktop orders the codecs with PCMA/8000 first
    When Bob calls Alice
    And Alice answers
    Then Alice and Bob are connected on the same call
    And the call uses PCMA/8000
    And Bob hears Alice
    And Alice hears Bob

  @verb:registerDeviceProvider
  Scenario: Alice's desktop chooses her USB headset for calls, where her settings would take the default device
    Given Alice's computer has a default sound device and a USB headset, and her settings name no device
    And Alice's desktop chooses the device whose name contains "Headset" for her calls
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob hears the microphone of Alice's headset
    And Alice hears Bob in the speaker of her headset

  @verb:registerCallControlProvider @verb:registerCodecProvider
  Scenario: Providers that fail are skipped: the call rings, connects and carries audio, and the failures are logged
    Given Alice's desktop keeps her endpoint's log records
    And Alice's desktop has a call-control provider "broken-vip" that fails on every incoming call
    And Alice's desktop has a codec provider "broken-codecs" that fails every time
    When Bob calls Alice
    Then Alice's phone rings
    When Alice answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice
    And Alice hears Bob
    And Alice's log has a warning that provider "broken-vip" failed and was skipped
    And Alice's log has a warning that provider "broken-codecs" failed and was skipped
