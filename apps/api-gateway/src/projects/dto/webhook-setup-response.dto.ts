import { ApiProperty } from '@nestjs/swagger';
import { WebhookStatus, type WebhookSetup } from '@app/projects';
import { notionWebhookUrl } from '../../http/routes.js';

/**
 * The owner's view of the project's webhook. `verificationToken` is the one
 * secret the API ever returns: Notion's token, shown only while the webhook is
 * not yet verified, so the owner can paste it into Notion.
 */
export class WebhookSetupResponseDto {
  @ApiProperty({ description: 'Give this URL to Notion as the webhook endpoint' })
  url: string;

  @ApiProperty({ enum: WebhookStatus, enumName: 'WebhookStatus' })
  status: WebhookStatus;

  @ApiProperty({ type: String, nullable: true, description: 'Present only while awaiting verification' })
  verificationToken: string | null;

  static from(projectId: string, setup: WebhookSetup, publicBaseUrl: string): WebhookSetupResponseDto {
    return {
      url: notionWebhookUrl(publicBaseUrl, projectId),
      status: setup.status,
      verificationToken: setup.verificationToken,
    };
  }
}
