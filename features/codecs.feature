Feature: Codec negotiation by priority
  Each endpoint ranks its codecs (policy.codecs: codec -> priority, higher preferred). The caller
  offers its codecs in its order; the answering side picks, among the offered ones, the codec it
  ranks highest (RFC 3264 lets the answerer choose). Both sides then send and receive audio with
  that codec, and the call statistics name it.

  Background:
    Given Agent Alice is on a standalone line
    And Customer Bob is on a standalone line

  @spec:3-codec-priority
  Scenario Outline: <why>
    Given Alice ranks her codecs "<alice>"
    And Bob ranks his codecs "<bob>"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And the call uses <used>
    And Bob hears Alice
    And Alice hears Bob

    Examples:
      | why                                                  | alice                            | bob                             | used         |
      | Bob's preferred codec wins over Alice's              | PCMU/8000=100, PCMA/8000=90      | PCMA/8000=100, PCMU/8000=50     | PCMA/8000    |
      | Bob prefers narrowband even when wideband is offered | G722/16000=100, PCMU/8000=50     | PCMU/8000=100, G722/16000=90    | PCMU/8000    |
      | both prefer wideband                                 | G722/16000=100, PCMU/8000=50     | G722/16000=100, PCMU/8000=90    | G722/16000   |
      | the only codec both have is used                     | opus/48000/2=100, PCMA/8000=10   | G722/16000=100, PCMA/8000=50    | PCMA/8000    |
      | opus when both rank it first                         | opus/48000/2=120, G722/16000=100 | opus/48000/2=100, PCMU/8000=90  | opus/48000/2 |
