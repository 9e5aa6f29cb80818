#include <doctest/doctest.h>

#include <string>

#include "stats/stream_stats.h"

using namespace sipmedia;

TEST_CASE("E-model: G.711, no loss, low delay gives R 93.2 and MOS 4.41 (G.107 defaults)") {
  EModelInput in;
  in.codec = eModelCodecFor("PCMU");
  in.delayMs = mouthToEarDelayMs(20, 40, 20);  // 10 + 40 + 40 = 90 ms < 100 ms
  CHECK(in.delayMs == doctest::Approx(90));
  const double r = eModelR(in);
  CHECK(r == doctest::Approx(93.2));
  CHECK(eModelMos(r) == doctest::Approx(4.41).epsilon(0.002));
}

TEST_CASE("E-model: G.107 Annex B mapping end points") {
  CHECK(eModelMos(-5) == 1.0);
  CHECK(eModelMos(0) == 1.0);
  CHECK(eModelMos(100) == doctest::Approx(4.5));
  CHECK(eModelMos(120) == 4.5);
  CHECK(eModelMos(50) == doctest::Approx(2.575));  // 1 + 1.75 + 50 * -10 * 50 * 7e-6
}

TEST_CASE("E-model: delay impairment Idd (G.107 §7.3)") {
  CHECK(eModelIdd(50) == 0);
  CHECK(eModelIdd(100) == 0);
  CHECK(eModelIdd(200) == doctest::Approx(3.04).epsilon(0.01));
  CHECK(eModelIdd(400) == doctest::Approx(24.07).epsilon(0.01));
  double prev = 0;
  for (double d = 100; d <= 800; d += 25) {
    const double v = eModelIdd(d);
    CHECK(v >= prev);
    prev = v;
  }
}

TEST_CASE("E-model: codec impairments (G.113 Appendix I) and Ie-eff") {
  CHECK(eModelCodecFor("PCMA").ie == 0);
  CHECK(eModelCodecFor("pcmu", true).bpl == doctest::Approx(25.1));
  CHECK(eModelCodecFor("PCMU", false).bpl == doctest::Approx(4.3));
  CHECK(eModelCodecFor("G729").ie == 11);
  CHECK(eModelCodecFor("G729").bpl == 19);
  CHECK(eModelCodecFor("opus").bpl == doctest::Approx(25.1));
  CHECK(eModelCodecFor("G722").ie == 0);
  // Ie-eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)
  CHECK(eModelIeEff({0, 25.1}, 0, 1) == 0);
  CHECK(eModelIeEff({0, 25.1}, 5, 1) == doctest::Approx(95.0 * 5 / 30.1));
  CHECK(eModelIeEff({11, 19}, 2, 1) == doctest::Approx(11 + 84.0 * 2 / 21));
  // Bursty loss hurts more than random loss.
  CHECK(eModelIeEff({0, 25.1}, 5, 2) > eModelIeEff({0, 25.1}, 5, 1));
  // G.729A at no loss and low delay: R = 93.2 - 11.
  EModelInput in;
  in.codec = eModelCodecFor("G729");
  CHECK(eModelR(in) == doctest::Approx(82.2));
}

TEST_CASE("E-model: loss and delay lower R and MOS monotonically") {
  const EModelCodec g711 = eModelCodecFor("PCMU");
  double prevR = 1e9;
  for (double loss = 0; loss <= 20; loss += 1) {
    EModelInput in;
    in.codec = g711;
    in.packetLossPercent = loss;
    in.delayMs = 80;
    const double r = eModelR(in);
    CHECK(r < prevR);
    prevR = r;
  }
  prevR = 1e9;
  double prevMos = 5;
  for (double delay = 150; delay <= 600; delay += 50) {
    EModelInput in;
    in.codec = g711;
    in.delayMs = delay;
    const double r = eModelR(in);
    CHECK(r < prevR);
    CHECK(eModelMos(r) < prevMos);
    prevR = r;
    prevMos = eModelMos(r);
  }
  // 5% random loss with PLC: R = 93.2 - 15.78 = 77.4 -> MOS about 3.92.
  EModelInput lossy;
  lossy.codec = g711;
  lossy.packetLossPercent = 5;
  CHECK(eModelR(lossy) == doctest::Approx(93.2 - 95.0 * 5 / 30.1));
  CHECK(eModelMos(eModelR(lossy)) == doctest::Approx(3.92).epsilon(0.005));
}

TEST_CASE("QualityEstimator: whole call vs last interval") {
  QualityEstimator q(eModelCodecFor("PCMA"));
  CHECK_FALSE(q.hasValue());
  q.update(250, 0, 60);  // 5 s clean
  CHECK(q.hasValue());
  CHECK(q.rInterval() == doctest::Approx(93.2));
  CHECK(q.rWholeCall() == doctest::Approx(93.2));
  q.update(500, 25, 60);  // next 5 s: 10% loss
  CHECK(q.rInterval() == doctest::Approx(93.2 - 95.0 * 10 / 35.1));
  CHECK(q.rWholeCall() == doctest::Approx(93.2 - 95.0 * 5 / 30.1));
  CHECK(q.mosInterval() < q.mosWholeCall());
  q.update(750, 25, 60);  // clean again: the interval recovers, the call keeps its history
  CHECK(q.rInterval() == doctest::Approx(93.2));
  CHECK(q.rWholeCall() < 93.2);
  CHECK(q.mosWholeCall() > 1);
}

TEST_CASE("StreamStatistics: Genesys keys first, in the spec's order") {
  StreamStatistics s;
  s.gotLocalStat = true;
  s.localFracLost = 2.5;
  s.localPktCount = 1000;
  s.remoteTotalLost = -2;
  s.rttMs = 42.25;
  s.codec = "PCMU/8000";
  s.mosWholeCall = 4.41;
  const auto kv = s.toKeyValues();
  const char* keys[] = {"Got Local Stat", "Local Frac Lost", "Local Jitter",     "Local Oct Count", "Local Pkt Count",
                        "Local Total Lost", "Got Remote RR",  "Remote Frac Lost", "Remote Jitter",   "Remote Total Lost",
                        "Got Remote SR",   "Remote Oct Count", "Remote Pkt Count"};
  REQUIRE(kv.size() > 13);
  for (std::size_t i = 0; i < 13; i++) CHECK(kv[i].first == keys[i]);
  CHECK(kv[0].second == "1");
  CHECK(kv[1].second == "2.50");
  CHECK(kv[4].second == "1000");
  CHECK(kv[6].second == "0");
  CHECK(kv[9].second == "-2");
  auto value = [&](const std::string& k) {
    for (const auto& p : kv)
      if (p.first == k) return p.second;
    return std::string("<missing>");
  };
  CHECK(value("RTT") == "42.2");
  CHECK(value("MOS") == "4.41");
  CHECK(value("MOS Interval") == "");
  CHECK(value("Codec") == "PCMU/8000");
  CHECK(value("Packets Sent") == "0");
}
