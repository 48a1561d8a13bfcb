package io.finetune.activities.training;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a provider documents about a chat-format training file: the roles it accepts, whether turns
 * must alternate, how few examples it trains on, how large a file it takes, and how many tokens one
 * example may have for each base model (its training context, often shorter than the inference
 * context). {@link TrainingFileCheck} holds a file to these before anything is uploaded.
 *
 * @param provider the provider's name as people know it, for messages
 * @param alternating whether, after an optional first system message, user and assistant must
 *     alternate (Together), or roles may repeat (OpenAI)
 * @param contexts training context in tokens by base model id; a key also matches longer ids that
 *     start with it (dated snapshots), and the longest key wins
 * @param defaultContext for a base model not in {@code contexts}: a limit none of the documented
 *     models is below, so that an unknown model is held to something without being refused wrongly
 */
public record TrainingFileRules(
    String provider,
    int minExamples,
    long maxBytes,
    List<String> roles,
    boolean alternating,
    Map<String, Integer> contexts,
    int defaultContext) {

  private static final List<String> CHAT_ROLES = List.of("system", "user", "assistant");

  /**
   * OpenAI, https://platform.openai.com/docs/guides/supervised-fine-tuning and the API reference of
   * the training format (FineTuneChatRequestInput) and of files: at least 10 examples, a file of at
   * most 512 MB. The format also has tool and function messages; the files made here have none, so
   * they are refused rather than half-checked. Training context per example, from the guide's
   * token-limits table; the gpt-4.1 family is not in that table and is held to its neighbours'.
   */
  public static final TrainingFileRules OPENAI =
      new TrainingFileRules(
          "OpenAI",
          10,
          512L * 1024 * 1024,
          CHAT_ROLES,
          false,
          Map.of(
              "gpt-3.5-turbo-0613", 4_096,
              "gpt-3.5-turbo-1106", 16_385,
              "gpt-3.5-turbo-0125", 16_385,
              "gpt-3.5-turbo", 16_385,
              "gpt-4o-mini", 65_536,
              "gpt-4o", 65_536,
              "gpt-4o-mini-2024-07-18", 65_536,
              "gpt-4o-2024-08-06", 65_536,
              "gpt-4.1", 65_536),
          16_385);

  /**
   * Together AI, https://docs.together.ai/docs/fine-tuning/data-preparation: roles system, user and
   * assistant, starting with system or user and alternating afterwards. At least one example (its
   * SDK's file check) and at most 50 GB (the SDK checks 50.1 GB, the page says 100 GB: the stricter
   * holds). SFT context per model (LoRA), from https://docs.together.ai/docs/fine-tuning-models;
   * the smallest there is 8K.
   */
  public static final TrainingFileRules TOGETHER =
      new TrainingFileRules(
          "Together AI",
          1,
          50L * 1024 * 1024 * 1024,
          CHAT_ROLES,
          true,
          Map.ofEntries(
              Map.entry("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", 131_072),
              Map.entry("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", 24_576),
              Map.entry("meta-llama/Llama-3.3-70B-Instruct-Reference", 24_576),
              Map.entry("meta-llama/Llama-3.2-3B-Instruct", 131_072),
              Map.entry("meta-llama/Llama-3.2-1B-Instruct", 131_072),
              Map.entry("Qwen/Qwen3-8B", 40_960),
              Map.entry("Qwen/Qwen3-14B", 40_960),
              Map.entry("Qwen/Qwen3-32B", 40_960),
              Map.entry("Qwen/Qwen2.5-7B-Instruct", 32_768),
              Map.entry("Qwen/Qwen2.5-14B-Instruct", 32_768),
              Map.entry("Qwen/Qwen2.5-72B-Instruct", 24_576),
              Map.entry("mistralai/Mistral-7B-Instruct-v0.2", 32_768)),
          8_192);

  public TrainingFileRules {
    roles = List.copyOf(roles);
    contexts = Map.copyOf(contexts);
  }

  /**
   * The rules for a validation file: the training file's format and limits, without its minimum
   * number of examples (neither provider documents one for validation).
   */
  public TrainingFileRules forValidation() {
    return new TrainingFileRules(
        provider, 1, maxBytes, roles, alternating, contexts, defaultContext);
  }

  /**
   * The training context of {@code baseModel}: the longest key it starts with, else the default. A
   * fine-tuned model ({@code ft:<base>:...}, OpenAI) is trained further within its base's context.
   */
  public int trainingContext(String baseModel) {
    String model = baseModel.startsWith("ft:") ? baseModel.substring(3) : baseModel;
    return contexts.entrySet().stream()
        .filter(e -> model.startsWith(e.getKey()))
        .max(Map.Entry.comparingByKey(Comparator.comparingInt(String::length)))
        .map(Map.Entry::getValue)
        .orElse(defaultContext);
  }
}
