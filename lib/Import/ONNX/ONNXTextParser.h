//===- ONNXTextParser.h - ONNX's text syntax, exceptions contained -*- C++
//-*-===//

#ifndef QUANT_EVAL_LIB_IMPORT_ONNX_ONNXTEXTPARSER_H
#define QUANT_EVAL_LIB_IMPORT_ONNX_ONNXTEXTPARSER_H

#include <onnx/onnx_pb.h>

#include <string>

namespace quant_eval::onnx_import {

/// Parses ONNX's text syntax into `model`; false with `error` set when the
/// text is malformed. libonnx's parser reports most errors through its
/// Status, but throws on some (std::stof on a malformed number, found by
/// onnx-import-fuzzer), and quant-eval is built without exceptions: this
/// file alone is compiled with them, to turn both into `error`.
bool parseONNXText(const std::string &text, onnx::ModelProto &model,
                   std::string &error);

} // namespace quant_eval::onnx_import

#endif // QUANT_EVAL_LIB_IMPORT_ONNX_ONNXTEXTPARSER_H
