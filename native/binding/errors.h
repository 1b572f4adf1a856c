// Errors at the binding edge carry a stable `code` that native/index.ts turns into a TroupeError.
#pragma once

#include <napi.h>

#include <string>

namespace troupe {

namespace code {
constexpr const char* kInvalidArgument = "INVALID_ARGUMENT";
constexpr const char* kObjectFreed = "OBJECT_FREED";
constexpr const char* kDeviceUnavailable = "DEVICE_UNAVAILABLE";
constexpr const char* kUnavailable = "UNAVAILABLE";  // a collective peer or communicator failed
constexpr const char* kTimeout = "TIMEOUT";
constexpr const char* kInternal = "INTERNAL";
}  // namespace code

/** An error raised where no JavaScript environment is at hand (worker threads, validation). */
struct OpError {
  std::string code;
  std::string message;
};

[[noreturn]] inline void fail(const char* c, std::string message) { throw OpError{c, std::move(message)}; }

inline Napi::Error to_js(Napi::Env env, const OpError& e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("code", Napi::String::New(env, e.code));
  return err;
}

}  // namespace troupe
