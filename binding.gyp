{
  "targets": [
    {
      "target_name": "adaptune",
      "sources": [
        "<!@(node -e \"const fs=require('fs');const l=d=>fs.readdirSync(d).filter(f=>f.endsWith('.cc')).map(f=>d+'/'+f);console.log([...l('native/src'),...l('native/src/generated')].join(' '))\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.mjs include)"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "_GLIBCXX_USE_CXX11_ABI=1",
        "<!@(node -e \"const fs=require('fs');if(!process.env.ADAPTUNE_NO_GLOO&&['/usr/include','/usr/local/include'].some(d=>fs.existsSync(d+'/gloo/algorithm.h')))console.log('USE_C10D_GLOO')\")"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-deprecated-declarations", "-Wno-unused-parameter"],
      "libraries": ["<!@(node scripts/find-libtorch.mjs libs)"]
    }
  ]
}
