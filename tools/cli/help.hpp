// The help texts of the cairn command.
#pragma once

#include <string>

namespace cairn::cli {

std::string general_help();
// Help for one command; empty when there is no such command.
std::string command_help(const std::string& command);

}  // namespace cairn::cli
