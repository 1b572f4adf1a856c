# The native core (native/src, plain C++17 behind the C ABI in native/include/troupe_core.h) and
# its Node-API binding (native/binding). Built by native/build.mjs on `npm install`.
{
  'variables': {
    'troupe_have_blas%': '<!(node native/detect-blas.mjs --have)',
  },
  'targets': [
    {
      'target_name': 'troupe_native',
      'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      'sources': [
        'native/src/thread-pool.cc',
        'native/src/gemm-fallback.cc',
        'native/src/gemm.cc',
        'native/src/elementwise.cc',
        'native/src/norm-loss.cc',
        'native/src/optim.cc',
        'native/binding/addon.cc',
        'native/binding/args.cc',
        'native/binding/device.cc',
        'native/binding/storage.cc',
        'native/binding/tensors.cc',
        'native/binding/ops-linalg.cc',
        'native/binding/ops-pointwise.cc',
        'native/binding/ops-norm-loss.cc',
        'native/binding/ops-optim.cc',
        'native/binding/nccl.cc',
      ],
      'include_dirs': ['native/include', 'native/src'],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags_cc!': ['-std=gnu++17', '-std=c++17', '-O2', '-O3', '-fno-exceptions'],
      'cflags_cc': ['-std=c++17', '-O3', '-fexceptions', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-psabi'],
      'libraries': ['-ldl'],
      'conditions': [
        ['troupe_have_blas==1', {
          'defines': ['TROUPE_HAVE_BLAS=1'],
          'cflags_cc': ['<!@(node native/detect-blas.mjs --cflags)'],
          'libraries': ['<!@(node native/detect-blas.mjs --libs)'],
        }],
      ],
    },
  ],
}
