{
  "targets": [
    {
      "target_name": "sip_media",
      "sources": ["<!@(node scripts/list-sources.mjs)"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "<!@(node scripts/detect-libs.mjs --defines)"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(node scripts/detect-libs.mjs --cflags)"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["<!@(node scripts/detect-libs.mjs --libs)", "-lpthread"]
    }
  ]
}
