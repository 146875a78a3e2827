"""Large language models as candidates: prompts and answers constrained to a label set, a local GGUF model
(llama.cpp) or an OpenAI-compatible endpoint, response cache, token prices. Importing it imports neither
llama_cpp nor openai: the clients import them when a model is opened."""
