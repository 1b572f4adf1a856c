// Runs one operation on a libuv worker thread and settles a promise with its result, so heavy
// work never blocks the event loop. The work function may throw OpError; the promise is then
// rejected with an Error carrying the code.
#pragma once

#include <napi.h>

#include <functional>
#include <new>
#include <utility>

#include "errors.h"

namespace troupe {

class Job : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  static Napi::Value Queue(Napi::Env env, Work work, Done done) {
    auto* job = new Job(env, std::move(work), std::move(done));
    Napi::Promise promise = job->deferred_.Promise();
    job->Napi::AsyncWorker::Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const OpError& e) {
      error_ = e;
      SetError(e.message);
    } catch (const std::bad_alloc&) {
      error_ = OpError{code::kInternal, "out of memory"};
      SetError(error_.message);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(done_(env));
    } catch (const OpError& e) {
      deferred_.Reject(to_js(env, e).Value());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(to_js(Env(), error_).Value()); }

 private:
  Job(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "troupe.native"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), done_(std::move(done)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  OpError error_;
};

}  // namespace troupe
