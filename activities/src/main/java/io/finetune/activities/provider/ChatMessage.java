package io.finetune.activities.provider;

/** One message of a chat: {@code system}, {@code user} or {@code assistant}, and its text. */
public record ChatMessage(String role, String content) {
  public static final String SYSTEM = "system";
  public static final String USER = "user";
  public static final String ASSISTANT = "assistant";

  public static ChatMessage system(String content) {
    return new ChatMessage(SYSTEM, content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage(USER, content);
  }
}
