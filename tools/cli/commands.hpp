// The cairn commands. Each takes the arguments after its name and returns the exit status;
// failures are thrown as UsageError or CliError (cli_error.hpp).
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

int info_command(const std::vector<std::string>& tokens);
int run_command(const std::vector<std::string>& tokens);
int bench_command(const std::vector<std::string>& tokens);
int segment_command(const std::vector<std::string>& tokens);

}  // namespace cairn::cli
