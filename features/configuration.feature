Feature: Runtime configuration changes
  The agent desktop reads and changes the endpoint's settings while it runs, by their Genesys key
  (getConfigSetting / setConfigSetting): the DTMF method, codec priorities and the auto-answer
  policy take effect on the next call, without a restart. A key the endpoint does not know reads
  as an empty text; a value the setting cannot take is refused with an error naming the setting,
  and the setting keeps its value.

  Background:
    Given Agent Alice is on a standalone line sending DTMF by "rfc2833"
    And Customer Bob is on a standalone line

  @verb:getConfigSetting @verb:setConfigSetting @spec:2-extended-config
  Scenario: Switching the DTMF method to SIP INFO applies to the next call
    When Alice calls Bob
    And Bob answers
    And Alice presses "1"
    Then Bob receives the digits "1" as RFC 4733 events
    When Alice hangs up
    And Alice's desktop sets "policy.session.dtmf_method" to "Info"
    Then Alice's setting "policy.session.dtmf_method" reads "Info"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice presses "12#"
    Then Bob receives the digits "12#" as SIP INFO requests

  Scenario: Raising a codec's priority changes the codec of the next call
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And the call uses PCMU/8000
    When Alice hangs up
    And Bob's desktop sets "codecs.PCMA/8000" to "10"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And the call uses PCMA/8000
    And Bob hears Alice
    And Alice hears Bob

  Scenario: Turning auto-answer on makes the next call answer itself
    When Alice calls Bob
    Then Bob's phone rings
    When Alice hangs up
    And Bob's desktop sets "policy.session.auto_answer" to "1"
    And Alice calls Bob
    Then Bob's phone answers by itself
    And Alice and Bob are connected on the same call
    And Bob hears Alice

  @spec:2-extended-missing-key
  Scenario: An unknown key reads as empty; a bad value is refused and changes nothing
    Given Alice's endpoint has started
    Then Alice's setting "policy.session.no_such_setting" reads ""
    And Alice's setting "user:7" reads ""
    When Alice's desktop tries to set "policy.session.dtmf_method" to "smoke signals"
    Then the change is refused with an error naming "policy.session.dtmf_method"
    And Alice's setting "policy.session.dtmf_method" reads "rfc2833"
    When Alice's desktop tries to set "codecs.PCMA/8000" to "300"
    Then the change is refused with an error naming "codecs.PCMA/8000"
    And Alice's setting "codecs.PCMA/8000" reads "2"

  @verb:setConfigSetting @verb:registerLogSink @spec:3-log-level
  Scenario: The log level applies at once: information, then debugging with SIP traces, then errors only
    Given Alice's desktop keeps her endpoint's log
    Then Alice's setting "system.diagnostics.log_level" reads "3"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's log shows the call's information records, but no debugging records or SIP traces
    When Alice's desktop sets "system.diagnostics.log_level" to "4"
    And Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's log shows debugging records with the SIP traces of her INVITE
    When Alice's desktop sets "system.diagnostics.log_level" to "1"
    And Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    When Alice hangs up
    Then Alice's log shows nothing but errors

  @spec:3-dtx
  Scenario: Silence suppression switched on during a call: Alice's silence is no longer sent
    Given Alice's microphone picks up only silence
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob receives audio packets from Alice
    When Alice's desktop sets "policy.session.dtx_mode" to "1"
    Then Alice's endpoint stops sending her silence, and Bob receives next to nothing from her
    And Alice still receives audio packets from Bob
    When Alice's desktop sets "policy.session.dtx_mode" to "0"
    Then Bob receives audio packets from Alice

  @spec:3-config-file @spec:3-runtime-keys
  Scenario: Alice's endpoint starts from a Genesys XML configuration file
    Given Alice's configuration file "alice.config" says:
      """
      <SipEndpoint>
        <Basic>
          <Connectivity user="alice" server="127.0.0.1:5" protocol="UDP"/>
        </Basic>
        <Genesys>
          <settings>
            <domain name="proxies">
              <section name="proxy0"><setting name="reg_timeout" value="0"/></section>
            </domain>
            <domain name="policy">
              <section name="session"><setting name="dtmf_method" value="Info"/></section>
              <section name="codecs"><setting name="PCMA/8000" value="20"/></section>
            </domain>
          </settings>
        </Genesys>
      </SipEndpoint>
      """
    When Alice's endpoint starts from that file
    Then Alice's setting "policy.session.dtmf_method" reads "Info"
    And Alice's setting "policy:session:dtmf_method" reads "Info"
    And Alice's setting "codecs.PCMA/8000" reads "20"
    And Alice's setting "user:0" reads "alice"
    And Alice's setting "protocol:0" reads "UDP"
    When Alice calls Bob
    And Bob answers
    Then Alice and Bob are connected on the same call
    And Bob hears Alice
    When Alice presses "7"
    Then Bob receives the digits "7" as SIP INFO requests

  @spec:3-config-file-errors
  Scenario: A configuration file with a bad value: the endpoint does not start, and the error names the file, the line and the setting
    Given Alice's configuration file "broken.config" says:
      """
      <SipEndpoint>
        <Basic>
          <Connectivity user="alice" server="127.0.0.1:5" protocol="UDP"/>
        </Basic>
        <Genesys>
          <settings>
            <domain name="policy">
              <section name="session"><setting name="auto_answer" value="maybe"/></section>
            </domain>
          </settings>
        </Genesys>
      </SipEndpoint>
      """
    When Alice's endpoint tries to start from that file
    Then the start is refused with an error naming "broken.config", line 8 and "policy.session.auto_answer"
