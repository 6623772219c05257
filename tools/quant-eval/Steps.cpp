//===- Steps.cpp - quant-eval's child-process steps -----------------------===//

#include "Steps.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <unistd.h>

using namespace quant_eval;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

std::string quant_eval::readFile(const std::string &file) {
  auto buffer = llvm::MemoryBuffer::getFile(file);
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

/// The last lines of a log: the diagnostic a failed step ended with.
static std::string tail(const std::string &text, size_t lines = 4) {
  llvm::SmallVector<llvm::StringRef> all;
  llvm::StringRef(text).rtrim().split(all, '\n');
  size_t from = all.size() > lines ? all.size() - lines : 0;
  std::string out;
  for (size_t i = from; i < all.size(); ++i)
    out += (out.empty() ? "" : "\n") + all[i].str();
  return out;
}

std::optional<llvm::json::Value> quant_eval::readJson(const std::string &file) {
  std::string text = readFile(file);
  if (text.empty())
    return std::nullopt;
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
  if (!v) {
    llvm::consumeError(v.takeError());
    return std::nullopt;
  }
  return std::move(*v);
}

bool quant_eval::writeJsonFile(const std::string &file,
                               llvm::json::Value value) {
  std::string temporary = file + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(temporary, ec);
    if (ec)
      return false;
    os << llvm::formatv("{0:2}", value) << "\n";
    os.close();
    if (os.has_error()) {
      os.clear_error();
      return false;
    }
  }
  return !fs::rename(temporary, file);
}

static std::atomic<bool> interrupted{false};

static void onInterrupt(int signal) {
  interrupted = true;
  // Only async-signal-safe calls here.
  static const char message[] =
      "\nquant-eval: interrupted; stopping (a second Ctrl-C kills)\n";
  ssize_t written = ::write(STDERR_FILENO, message, sizeof(message) - 1);
  (void)written;
  ::signal(signal, SIG_DFL);
}

void quant_eval::installInterruptHandler() {
  static_assert(std::atomic<bool>::is_always_lock_free,
                "the interrupt flag is set from a signal handler");
  ::signal(SIGINT, onInterrupt);
  ::signal(SIGTERM, onInterrupt);
}

bool quant_eval::interruptRequested() { return interrupted; }

StepResult quant_eval::runStep(const std::vector<std::string> &argv,
                               const std::string &log, int timeoutSeconds) {
  StepResult result;
  llvm::SmallVector<llvm::StringRef> args(argv.begin(), argv.end());
  std::string out = log + ".out", err = log + ".err", message;
  std::optional<llvm::StringRef> redirects[] = {
      llvm::StringRef(""), llvm::StringRef(out), llvm::StringRef(err)};
  auto start = std::chrono::steady_clock::now();
  bool failedToStart = false;
  // ExecuteAndWait's timeout rests on alarm(), which another thread may
  // take: poll instead, and kill a step that overstays.
  llvm::sys::ProcessInfo child = llvm::sys::ExecuteNoWait(
      argv[0], args, std::nullopt, redirects, 0, &message, &failedToStart);
  bool timedOut = false;
  int rc = -1;
  if (!failedToStart) {
    auto deadline = start + std::chrono::seconds(timeoutSeconds);
    for (;;) {
      llvm::sys::ProcessInfo done = llvm::sys::Wait(child, 0, &message);
      if (done.Pid != 0) {
        rc = done.ReturnCode;
        break;
      }
      if (interruptRequested()) {
        ::kill(child.Pid, SIGKILL);
        llvm::sys::Wait(child, std::nullopt, &message);
        result.interrupted = true;
        break;
      }
      if (timeoutSeconds > 0 && std::chrono::steady_clock::now() > deadline) {
        ::kill(child.Pid, SIGKILL);
        llvm::sys::Wait(child, std::nullopt, &message);
        timedOut = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // A child that died of the terminal's Ctrl-C, which reached it too,
  // counts as interrupted as well.
  result.interrupted |= interruptRequested();
  result.ok = rc == 0 && !timedOut && !result.interrupted;
  if (result.interrupted) {
    result.error = "interrupted";
  } else if (!result.ok) {
    std::string diagnostic = tail(readFile(err));
    if (timedOut)
      diagnostic =
          "no result after " + std::to_string(timeoutSeconds) + " s (killed)";
    else if (failedToStart)
      diagnostic = "cannot run " + argv[0] + ": " + message;
    result.error = !diagnostic.empty() ? diagnostic
                   : !message.empty()  ? message
                                       : "exit code " + std::to_string(rc);
  }
  return result;
}

std::optional<RunScore>
quant_eval::getRunScore(const llvm::json::Object &result) {
  for (const char *metric : {"map50", "top1"})
    if (std::optional<double> v = result.getNumber(metric))
      return RunScore{metric, *v};
  return std::nullopt;
}

const char *quant_eval::metricName(llvm::StringRef metric) {
  return metric == "map50" ? "mAP@0.5" : "top-1";
}

Tools quant_eval::findTools() {
  std::string self = fs::getMainExecutable(nullptr, (void *)&findTools);
  llvm::SmallString<256> dir(path::parent_path(self));
  auto tool = [&](const char *name) {
    llvm::SmallString<256> p(dir);
    path::append(p, name);
    return std::string(p);
  };
  return {self, tool("quant-opt"), tool("quant-translate")};
}
