// Registers binding functions so that an OpError thrown anywhere inside becomes a JavaScript
// Error with a `code`, never a crash.
#pragma once

#include <napi.h>

#include "errors.h"

namespace troupe {

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const OpError& e) {
    throw to_js(info.Env(), e);
  }
}

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
void define(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<guarded<F>>(env, name));
}

void register_tensors(Napi::Env env, Napi::Object exports);
void register_linalg(Napi::Env env, Napi::Object exports);
void register_pointwise(Napi::Env env, Napi::Object exports);
void register_norm_loss(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);
void register_nccl(Napi::Env env, Napi::Object exports);

}  // namespace troupe
