// cairn: the command-line front end of the engine (info, run, bench, segment).
#include <cstdio>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "args.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "help.hpp"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "unknown"
#endif

namespace {

using cairn::cli::UsageError;

int dispatch(const std::string& command, const std::vector<std::string>& rest) {
  if (command == "--help" || command == "-h" || (command == "help" && rest.empty())) {
    std::cout << cairn::cli::general_help();
    return 0;
  }
  if (command == "--version" || command == "version") {
    std::cout << "cairn " << CAIRN_VERSION << "\n";
    return 0;
  }
  if (command == "help") {
    if (rest.size() > 1) throw UsageError("'cairn help' takes one command name");
    const std::string text = cairn::cli::command_help(rest[0]);
    if (text.empty()) throw UsageError("unknown command '" + rest[0] + "' (commands: info, run, bench, segment)");
    std::cout << text;
    return 0;
  }
  const bool known = command == "info" || command == "run" || command == "bench" || command == "segment";
  if (!known) {
    if (!command.empty() && command[0] == '-') throw UsageError("unknown option '" + command + "'");
    throw UsageError("unknown command '" + command + "' (commands: info, run, bench, segment)");
  }
  if (cairn::cli::wants_help(rest)) {
    std::cout << cairn::cli::command_help(command);
    return 0;
  }
  if (command == "info") return cairn::cli::info_command(rest);
  if (command == "run") return cairn::cli::run_command(rest);
  if (command == "segment") return cairn::cli::segment_command(rest);
  return cairn::cli::bench_command(rest);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::string command = args.empty() ? "" : args[0];
  int status = 0;
  try {
    if (args.empty()) throw UsageError("no command given");
    status = dispatch(command, std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const UsageError& e) {
    std::cout.flush();
    std::cerr << "cairn: usage error: " << e.what() << "\n";
    const bool known = command == "info" || command == "run" || command == "bench" || command == "segment";
    std::cerr << (known ? "Run 'cairn help " + command + "' for usage.\n" : "Run 'cairn --help' for usage.\n");
    return 2;
  } catch (const cairn::cli::CliError& e) {
    std::cout.flush();
    std::cerr << "cairn: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cout.flush();
    std::cerr << "cairn: error: out of memory (try a smaller shape or fewer threads)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "cairn: error: " << e.what() << "\n";
    return 1;
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "cairn: error: cannot write to standard output\n";
    return 1;
  }
  return status;
}
